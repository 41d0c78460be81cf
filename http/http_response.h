/*
 * http_response.h: writes HTTP/1.1 responses into an evbuffer.
 *
 * Every response carries Content-Length, Date-free fixed headers that a
 * browser-facing API needs (Cache-Control: no-store, X-Content-Type-Options),
 * and Connection: close when the connection will close after it. Error bodies
 * are JSON {"error","error_description"} as RFC 6750 shapes them.
 */
#ifndef ICEGATE_HTTP_RESPONSE_H
#define ICEGATE_HTTP_RESPONSE_H

#include <jansson.h>
#include <stddef.h>

struct evbuffer;

/* The standard reason phrase for status ("Not Found"). */
const char *http_status_text(int status);

/* extra_headers: "" or complete lines each ending in "\r\n". */
void http_respond(struct evbuffer *out, int status, const char *content_type,
                  const char *extra_headers, const void *body, size_t length, int keep_alive);

/* Serialises body (borrowed) compactly as application/json. */
void http_respond_json(struct evbuffer *out, int status, const char *extra_headers,
                       const json_t *body, int keep_alive);

/* {"error": error, "error_description": description} with status. A 401 also
 * gets WWW-Authenticate (RFC 6750 section 3): 'Bearer realm="icegate",
 * error="<error>"' when error is an RFC 6750 code (invalid_request,
 * invalid_token, insufficient_scope), 'Bearer realm="icegate"' otherwise. */
void http_respond_error(struct evbuffer *out, int status, const char *error,
                        const char *description, const char *extra_headers, int keep_alive);

#endif
