/*
 * http_request.c: the incremental request parser behind http_request.h.
 *
 * Nothing is consumed from the input until a whole request (head and body)
 * is there, so a request that arrives in pieces is simply parsed again when
 * more bytes come; the head is at most HTTP_HEAD_MAX bytes, which keeps the
 * re-parse cheap. The head is copied once, checked byte by byte for what
 * makes requests ambiguous between a proxy and us (NUL, lone CR or LF), then
 * split in place into the NUL-terminated strings the struct borrows.
 */
#include "http/http_request.h"
#include "http/http_syntax.h"

#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_TERMINATOR        "\r\n\r\n"
#define HEAD_TERMINATOR_LENGTH 4

/* Where the parser gave up: the status to answer and a short reason. */
struct parse_error {
	int status;
	const char *reason;
};

void http_request_init(struct http_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = req->path = req->query = "";
}

void http_request_reset(struct http_request *req)
{
	free(req->head);
	free(req->body);
	http_request_init(req);
}

static int fail(struct parse_error *error, int status, const char *reason)
{
	error->status = status;
	error->reason = reason;
	return -1;
}

/* Finds the end of the head. Returns its length (terminator excluded), -1
 * while it may still arrive, or -2 when it can no longer fit. */
static long find_head_end(struct evbuffer *input)
{
	size_t length = evbuffer_get_length(input);
	struct evbuffer_ptr limit;
	struct evbuffer_ptr *end = NULL;
	/* Searching past the largest acceptable head is wasted work, and a
	 * peer could make it quadratic by trickling a huge header. */
	if (length > HTTP_HEAD_MAX + HEAD_TERMINATOR_LENGTH) {
		if (evbuffer_ptr_set(input, &limit, HTTP_HEAD_MAX + HEAD_TERMINATOR_LENGTH,
		                     EVBUFFER_PTR_SET) == 0)
			end = &limit;
	}
	struct evbuffer_ptr found =
	    evbuffer_search_range(input, HEAD_TERMINATOR, HEAD_TERMINATOR_LENGTH, NULL, end);
	if (found.pos >= 0)
		return found.pos > HTTP_HEAD_MAX ? -2 : (long)found.pos;
	/* Without a terminator in the first HEAD_MAX + 4 bytes, the head
	 * would end beyond HEAD_MAX whatever comes next. */
	return length >= HTTP_HEAD_MAX + HEAD_TERMINATOR_LENGTH ? -2 : -1;
}

/* Rejects the bytes that let two parsers disagree on where a line ends. */
static int check_head_bytes(const char *head, size_t length, struct parse_error *error)
{
	for (size_t i = 0; i < length; i++) {
		switch (head[i]) {
		case '\0':
			return fail(error, 400, "NUL byte in request head");
		case '\r':
			if (i + 1 >= length || head[i + 1] != '\n')
				return fail(error, 400, "bare CR in request head");
			i++;
			break;
		case '\n':
			return fail(error, 400, "bare LF in request head");
		default:
			break;
		}
	}
	return 0;
}

/* Cuts *cursor at the next CRLF (or the end) and returns the line. */
static char *next_line(char **cursor)
{
	char *line = *cursor;
	char *crlf = strstr(line, "\r\n");
	if (crlf) {
		*crlf = '\0';
		*cursor = crlf + 2;
	} else {
		*cursor = line + strlen(line);
	}
	return line;
}

/* "METHOD SP /target SP HTTP/1.x", nothing more, nothing less. */
static int parse_request_line(char *line, struct http_request *req, struct parse_error *error)
{
	char *space = strchr(line, ' ');
	if (!space || space == line)
		return fail(error, 400, "malformed request line");
	*space = '\0';
	if (!http_is_token(line))
		return fail(error, 400, "malformed method");
	req->method = line;

	char *target = space + 1;
	if (*target != '/')
		return fail(error, 400, "request target must start with /");
	char *p = target;
	while (*p && *p != ' ') {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f)
			return fail(error, 400, "malformed request target");
		p++;
	}
	if (*p != ' ')
		return fail(error, 400, "malformed request line");
	*p = '\0';

	const char *version = p + 1;
	if (strlen(version) != 8 || strncmp(version, "HTTP/", 5) != 0 ||
	    !http_is_digit(version[5]) || version[6] != '.' || !http_is_digit(version[7]))
		return fail(error, 400, "malformed HTTP version");
	if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
		return fail(error, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
	req->version_minor = version[7] - '0';

	char *question = strchr(target, '?');
	if (question) {
		*question = '\0';
		req->query = question + 1;
	} else {
		req->query = "";
	}
	req->path = target;
	return 0;
}

static char *trim(char *start)
{
	while (*start == ' ' || *start == '\t')
		start++;
	char *end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	return start;
}

/* "name: value" with a token name; obs-fold and control bytes refused. */
static int parse_header_line(char *line, struct http_request *req, struct parse_error *error)
{
	if (*line == ' ' || *line == '\t')
		return fail(error, 400, "folded header line");
	char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return fail(error, 400, "malformed header line");
	*colon = '\0';
	/* Whitespace before the colon fails the token check, as RFC 7230
	 * section 3.2.4 requires. */
	if (!http_is_token(line))
		return fail(error, 400, "malformed header name");
	char *value = trim(colon + 1);
	for (const char *p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(error, 400, "control character in header value");
	}
	if (req->header_count == HTTP_MAX_HEADERS)
		return fail(error, 431, "too many header fields");
	req->headers[req->header_count].name = line;
	req->headers[req->header_count].value = value;
	req->header_count++;
	return 0;
}

/* Digits only, no sign, no overflow. */
static int parse_content_length(const char *text, uint64_t *out)
{
	uint64_t value = 0;
	if (*text == '\0')
		return -1;
	for (; *text; text++) {
		if (!http_is_digit(*text))
			return -1;
		unsigned digit = (unsigned)(*text - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return -1;
		value = value * 10 + digit;
	}
	*out = value;
	return 0;
}

/* Framing and connection semantics, once every header is known. */
static int check_headers(struct http_request *req, uint64_t *body_length, struct parse_error *error)
{
	int content_lengths = 0, transfer_encodings = 0, hosts = 0;
	int close = 0, keep_alive = 0;
	const char *content_length = NULL;
	for (int i = 0; i < req->header_count; i++) {
		const struct http_header *h = &req->headers[i];
		if (http_name_equals(h->name, "Content-Length")) {
			content_lengths++;
			content_length = h->value;
		} else if (http_name_equals(h->name, "Transfer-Encoding")) {
			transfer_encodings++;
		} else if (http_name_equals(h->name, "Host")) {
			hosts++;
		} else if (http_name_equals(h->name, "Connection")) {
			close |= http_header_has_token(h->value, "close");
			keep_alive |= http_header_has_token(h->value, "keep-alive");
		}
	}
	/* Both framings at once, or two lengths, is how requests get
	 * smuggled past a proxy that picks the other one. */
	if (transfer_encodings && content_lengths)
		return fail(error, 400, "both Transfer-Encoding and Content-Length");
	if (transfer_encodings)
		return fail(error, 501, "Transfer-Encoding is not supported");
	if (content_lengths > 1)
		return fail(error, 400, "several Content-Length fields");
	/* RFC 7230 section 5.4: a 1.1 request without exactly one Host is
	 * answered 400. */
	if (hosts > 1 || (hosts == 0 && req->version_minor == 1))
		return fail(error, 400, "exactly one Host field is required");

	*body_length = 0;
	if (content_length && parse_content_length(content_length, body_length) != 0)
		return fail(error, 400, "malformed Content-Length");
	if (*body_length > HTTP_BODY_MAX)
		return fail(error, 413, "request body too large");

	if (req->version_minor == 0)
		req->keep_alive = keep_alive && !close;
	else
		req->keep_alive = !close;
	return 0;
}

/* Splits the NUL-terminated head copy into req's fields. */
static int parse_head(struct http_request *req, size_t head_length, uint64_t *body_length,
                      struct parse_error *error)
{
	if (check_head_bytes(req->head, head_length, error) != 0)
		return -1;
	char *cursor = req->head;
	if (parse_request_line(next_line(&cursor), req, error) != 0)
		return -1;
	while (*cursor) {
		if (parse_header_line(next_line(&cursor), req, error) != 0)
			return -1;
	}
	return check_headers(req, body_length, error);
}

enum http_parse_result http_request_parse(struct evbuffer *input, struct http_request *req,
                                          int *status, const char **reason)
{
	struct parse_error error = {400, "bad request"};
	http_request_reset(req);

	long head_length = find_head_end(input);
	if (head_length == -1)
		return HTTP_PARSE_INCOMPLETE;
	if (head_length < 0) {
		fail(&error, 431, "request head too large");
		goto failed;
	}

	req->head = malloc((size_t)head_length + 1);
	if (!req->head) {
		fail(&error, 500, "out of memory");
		goto failed;
	}
	if (evbuffer_copyout(input, req->head, (size_t)head_length) != head_length) {
		fail(&error, 500, "input buffer unreadable");
		goto failed;
	}
	req->head[head_length] = '\0';

	uint64_t body_length;
	if (parse_head(req, (size_t)head_length, &body_length, &error) != 0)
		goto failed;

	size_t request_length = (size_t)head_length + HEAD_TERMINATOR_LENGTH + body_length;
	if (evbuffer_get_length(input) < request_length) {
		/* The next call parses the head again; it is small. */
		http_request_reset(req);
		return HTTP_PARSE_INCOMPLETE;
	}
	if (body_length > 0) {
		req->body = malloc(body_length + 1);
		if (!req->body) {
			fail(&error, 500, "out of memory");
			goto failed;
		}
	}
	evbuffer_drain(input, (size_t)head_length + HEAD_TERMINATOR_LENGTH);
	if (body_length > 0) {
		if (evbuffer_remove(input, req->body, body_length) != (int)body_length) {
			fail(&error, 500, "input buffer unreadable");
			goto failed;
		}
		req->body[body_length] = '\0';
		req->body_length = body_length;
	}
	return HTTP_PARSE_DONE;

failed:
	http_request_reset(req);
	*status = error.status;
	*reason = error.reason;
	return HTTP_PARSE_ERROR;
}
