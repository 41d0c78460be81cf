/*
 * http_request.h: a strict, incremental HTTP/1.1 request parser reading from a
 * libevent evbuffer.
 *
 * Strict because it faces the internet: the head must fit in a fixed budget
 * (431 past it), header lines are "name: value" with token names and no
 * obs-fold, bodies are framed by one Content-Length only (a request with
 * Transfer-Encoding, or several Content-Length values, is refused: that is
 * what request smuggling needs), and bodies over the limit get 413. The parser
 * consumes exactly one request from the buffer, so pipelined requests stay
 * queued behind it.
 */
#ifndef ICEGATE_HTTP_REQUEST_H
#define ICEGATE_HTTP_REQUEST_H

#include <stddef.h>

struct evbuffer;

#define HTTP_MAX_HEADERS 64
#define HTTP_HEAD_MAX    8192  /* request line + headers */
#define HTTP_BODY_MAX    65536 /* API bodies are small JSON */

struct http_header {
	const char *name;  /* borrowed from head; NUL-terminated */
	const char *value; /* borrowed from head; trimmed, NUL-terminated */
};

struct http_request {
	char *head;         /* owned copy of the head, split in place */
	const char *method; /* borrowed from head */
	const char *path;   /* borrowed from head; percent-encoded as sent */
	const char *query;  /* borrowed from head; "" when absent */
	int version_minor;  /* HTTP/1.<minor>; 0 or 1 */
	struct http_header headers[HTTP_MAX_HEADERS];
	int header_count;
	char *body; /* owned, NUL-terminated; NULL when there is none */
	size_t body_length;
	int keep_alive; /* from version and Connection */
};

enum http_parse_result {
	HTTP_PARSE_INCOMPLETE, /* need more bytes; nothing consumed */
	HTTP_PARSE_DONE,       /* req filled, request consumed from the buffer */
	HTTP_PARSE_ERROR,      /* *status says which error to answer, then close */
};

void http_request_init(struct http_request *req);
/* Frees what req owns and makes it ready for the next request. */
void http_request_reset(struct http_request *req);

/* Parses one request from input. On HTTP_PARSE_ERROR sets *status (400, 413,
 * 431, 501 or 505; 500 if memory runs out) and *reason to a short text for
 * the response body. A 1.1 request needs exactly one Host (RFC 7230 5.4).
 * req is reset first; on INCOMPLETE and ERROR it holds nothing. */
enum http_parse_result http_request_parse(struct evbuffer *input, struct http_request *req,
                                          int *status, const char **reason);

/* Case-insensitive header lookup; NULL when absent. */
const char *http_request_header(const struct http_request *req, const char *name);
/* 1 if a comma-separated header (Connection, Upgrade) contains token,
 * case-insensitively; 0 otherwise. */
int http_header_has_token(const char *value, const char *token);

/* Finds name in an "a=1&b=2" query string and percent-decodes its value into
 * out. Returns 0 found, 1 absent, -1 malformed or too long for out. The first
 * occurrence wins; '+' decodes to a space; %00 counts as malformed. */
int http_query_param(const char *query, const char *name, char *out, size_t out_size);

#endif
