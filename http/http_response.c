/*
 * http_response.c: HTTP/1.1 responses written into an evbuffer.
 *
 * A response is assembled in a scratch buffer and moved into the output in
 * one step, so running out of memory halfway never leaves half a response on
 * the wire for the client to misread.
 */
#include "http/http_response.h"
#include "common/log.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the client gets when even the error body cannot be built. */
static const char fallback_error_body[] =
    "{\"error\":\"server_error\",\"error_description\":\"out of memory\"}";

static const struct {
	int status;
	const char *text;
} status_texts[] = {
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {426, "Upgrade Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

const char *http_status_text(int status)
{
	for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++) {
		if (status_texts[i].status == status)
			return status_texts[i].text;
	}
	return "Unknown";
}

/* RFC 9110 section 6.4.1: these statuses never carry content. */
static int status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

static void respond(struct evbuffer *out, int status, const char *content_type,
                    const char *extra_headers, const char *more_headers, const void *body,
                    size_t length, int keep_alive)
{
	struct evbuffer *scratch = evbuffer_new();
	if (!scratch)
		goto failed;
	int has_body = status_has_body(status);
	int ok = evbuffer_add_printf(scratch, "HTTP/1.1 %d %s\r\n", status,
	                             http_status_text(status)) >= 0;
	if (ok && has_body && content_type)
		ok = evbuffer_add_printf(scratch, "Content-Type: %s\r\n", content_type) >= 0;
	if (ok && has_body)
		ok = evbuffer_add_printf(scratch, "Content-Length: %zu\r\n", length) >= 0;
	if (ok)
		ok = evbuffer_add_printf(scratch,
		                         "Cache-Control: no-store\r\n"
		                         "X-Content-Type-Options: nosniff\r\n"
		                         "Connection: %s\r\n"
		                         "%s%s\r\n",
		                         keep_alive ? "keep-alive" : "close",
		                         extra_headers ? extra_headers : "",
		                         more_headers ? more_headers : "") >= 0;
	if (ok && has_body && length > 0)
		ok = evbuffer_add(scratch, body, length) == 0;
	if (ok)
		ok = evbuffer_add_buffer(out, scratch) == 0;
	evbuffer_free(scratch);
	if (ok)
		return;
failed:
	log_error("http: out of memory writing a %d response", status);
}

void http_respond(struct evbuffer *out, int status, const char *content_type,
                  const char *extra_headers, const void *body, size_t length, int keep_alive)
{
	respond(out, status, content_type, extra_headers, "", body, length, keep_alive);
}

void http_respond_json(struct evbuffer *out, int status, const char *extra_headers,
                       const json_t *body, int keep_alive)
{
	char *text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		respond(out, 500, "application/json", "", "", fallback_error_body,
		        strlen(fallback_error_body), keep_alive);
		return;
	}
	respond(out, status, "application/json", extra_headers, "", text, strlen(text), keep_alive);
	free(text);
}

/* The error codes RFC 6750 section 3.1 defines for Bearer challenges. */
static const char *bearer_error_code(const char *error)
{
	static const char *const codes[] = {"invalid_request", "invalid_token",
	                                    "insufficient_scope"};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (error && strcmp(error, codes[i]) == 0)
			return codes[i];
	}
	return NULL;
}

void http_respond_error(struct evbuffer *out, int status, const char *error,
                        const char *description, const char *extra_headers, int keep_alive)
{
	char challenge[96] = "";
	if (status == 401) {
		/* Only our own constant goes into the header, never caller
		 * text, so nothing can inject a header line. */
		const char *code = bearer_error_code(error);
		if (code)
			snprintf(challenge, sizeof(challenge),
			         "WWW-Authenticate: Bearer realm=\"icegate\", error=\"%s\"\r\n",
			         code);
		else
			snprintf(challenge, sizeof(challenge),
			         "WWW-Authenticate: Bearer realm=\"icegate\"\r\n");
	}
	json_t *body = json_pack("{s:s, s:s}", "error", error ? error : "server_error",
	                         "error_description", description ? description : "");
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text)
		respond(out, status, "application/json", extra_headers, challenge, text,
		        strlen(text), keep_alive);
	else
		respond(out, status, "application/json", extra_headers, challenge,
		        fallback_error_body, strlen(fallback_error_body), keep_alive);
	free(text);
}
