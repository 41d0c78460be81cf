/*
 * fuzz_http_request.c: the HTTP/1.1 request parser over a byte stream, as a
 * connection feeds it: pipelined requests, and the same stream cut into
 * pieces of random sizes.
 *
 * The stream is parsed twice: once with every byte already buffered, and once
 * fed piece by piece, parsing after each piece as the server does. Both must
 * yield the same requests and the same final error, since TCP may cut a
 * stream anywhere. Every parsed request is checked against the parser's
 * contract (token method, path without spaces or controls, trimmed header
 * values, one Host for 1.1, a body of exactly Content-Length bytes, exactly
 * head + CRLFCRLF + body consumed) and then handed to the helpers that read
 * it: header lookup, token lists, query parameters and the WebSocket
 * handshake check.
 */
#include "http/http_request.h"
#include "http/ws.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_chunks.h"

#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REQUESTS 64 /* per stream; more would only repeat the same checks */

/* What one parse call produced, compared between the two ways of feeding. */
struct outcome {
	enum http_parse_result result;
	int status;             /* on HTTP_PARSE_ERROR */
	size_t consumed;        /* bytes the request took from the stream */
	uint64_t request_hash;  /* of everything the parser filled in */
	size_t stream_position; /* where the request started */
};

struct outcomes {
	struct outcome items[MAX_REQUESTS + 1];
	size_t count;
};

static uint64_t hash_bytes(uint64_t hash, const void *data, size_t size)
{
	const unsigned char *bytes = data;
	for (size_t i = 0; i < size; i++)
		hash = (hash ^ bytes[i]) * 0x100000001b3ull;
	return hash;
}

static uint64_t hash_string(uint64_t hash, const char *text)
{
	return hash_bytes(hash, text, strlen(text) + 1);
}

static uint64_t hash_request(const struct http_request *req)
{
	uint64_t hash = 0xcbf29ce484222325ull;
	hash = hash_string(hash, req->method);
	hash = hash_string(hash, req->path);
	hash = hash_string(hash, req->query);
	hash = hash_bytes(hash, &req->version_minor, sizeof(req->version_minor));
	hash = hash_bytes(hash, &req->keep_alive, sizeof(req->keep_alive));
	for (int i = 0; i < req->header_count; i++) {
		hash = hash_string(hash, req->headers[i].name);
		hash = hash_string(hash, req->headers[i].value);
	}
	if (req->body)
		hash = hash_bytes(hash, req->body, req->body_length);
	return hash;
}

static int is_token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_token(const char *text)
{
	if (!*text)
		return 0;
	for (; *text; text++)
		if (!is_token_char((unsigned char)*text))
			return 0;
	return 1;
}

static int equals_ignoring_case(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* Where the first CRLFCRLF starts in data, or size when there is none. */
static size_t find_head_end(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 4 <= size; i++)
		if (memcmp(data + i, "\r\n\r\n", 4) == 0)
			return i;
	return size;
}

/* The contract of a request the parser accepted; request holds the exact
 * bytes it consumed. */
static void check_request(const struct http_request *req, const uint8_t *request, size_t consumed)
{
	FUZZ_CHECK(is_token(req->method));
	FUZZ_CHECK(req->path[0] == '/');
	for (const char *c = req->path; *c; c++)
		FUZZ_CHECK((unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f && *c != '?');
	for (const char *c = req->query; *c; c++)
		FUZZ_CHECK((unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f);
	FUZZ_CHECK(req->version_minor == 0 || req->version_minor == 1);
	FUZZ_CHECK(req->header_count >= 0 && req->header_count <= HTTP_MAX_HEADERS);

	int hosts = 0, content_lengths = 0;
	const char *content_length = NULL;
	for (int i = 0; i < req->header_count; i++) {
		const char *name = req->headers[i].name, *value = req->headers[i].value;
		FUZZ_CHECK(is_token(name));
		for (const char *c = value; *c; c++) {
			unsigned char byte = (unsigned char)*c;
			FUZZ_CHECK((byte >= 0x20 || byte == '\t') && byte != 0x7f);
		}
		size_t length = strlen(value);
		FUZZ_CHECK(length == 0 || (value[0] != ' ' && value[0] != '\t' &&
		                           value[length - 1] != ' ' && value[length - 1] != '\t'));
		FUZZ_CHECK(!equals_ignoring_case(name, "Transfer-Encoding"));
		if (equals_ignoring_case(name, "Host"))
			hosts++;
		if (equals_ignoring_case(name, "Content-Length")) {
			content_lengths++;
			content_length = value;
		}
		/* Lookup finds the first field of a name. */
		const char *found = http_request_header(req, name);
		FUZZ_CHECK(found != NULL);
		for (int j = 0; j < i; j++)
			if (equals_ignoring_case(req->headers[j].name, name)) {
				FUZZ_CHECK(found == req->headers[j].value);
				break;
			}
		http_header_has_token(value, "upgrade");
	}
	FUZZ_CHECK(hosts <= 1 && content_lengths <= 1);
	FUZZ_CHECK(req->version_minor == 0 || hosts == 1);

	FUZZ_CHECK(req->body_length <= HTTP_BODY_MAX);
	FUZZ_CHECK((req->body == NULL) == (req->body_length == 0));
	if (req->body)
		FUZZ_CHECK(req->body[req->body_length] == '\0');
	uint64_t declared = content_length ? strtoull(content_length, NULL, 10) : 0;
	FUZZ_CHECK(declared == req->body_length);

	/* Exactly the head, its terminator and the body were consumed, and the
	 * head is the first CRLFCRLF-terminated block. */
	FUZZ_CHECK(consumed >= 4 + req->body_length);
	size_t head_length = consumed - 4 - req->body_length;
	FUZZ_CHECK(head_length <= HTTP_HEAD_MAX);
	FUZZ_CHECK(find_head_end(request, consumed) == head_length);
	if (req->body)
		FUZZ_CHECK(memcmp(request + head_length + 4, req->body, req->body_length) == 0);

	/* The helpers a route runs on a request. */
	char value[256];
	int found = http_query_param(req->query, "access_token", value, sizeof(value));
	FUZZ_CHECK(found >= -1 && found <= 1);
	if (found == 0)
		FUZZ_CHECK(strlen(value) < sizeof(value));
	char accept[29];
	int status = 0;
	const char *reason = NULL;
	if (ws_handshake_check(req, accept, &status, &reason) == 0) {
		FUZZ_CHECK(strlen(accept) == 28);
		FUZZ_CHECK(req->version_minor == 1 && strcmp(req->method, "GET") == 0);
	} else {
		FUZZ_CHECK(status == 400 || status == 426);
		FUZZ_CHECK(reason && reason[0]);
	}
}

static void check_error(int status, const char *reason)
{
	FUZZ_CHECK(status == 400 || status == 413 || status == 431 || status == 501 ||
	           status == 505);
	FUZZ_CHECK(reason && reason[0]);
}

/* Parses every complete request waiting in input; stream is the whole
 * stream and *position how much of it earlier requests consumed. Returns 0
 * when the stream may go on, -1 after an error (the connection closes). */
static int parse_available(struct evbuffer *input, const uint8_t *stream, size_t *position,
                           struct outcomes *outcomes)
{
	struct http_request req;
	http_request_init(&req);
	for (;;) {
		size_t before = evbuffer_get_length(input);
		int status = 0;
		const char *reason = NULL;
		enum http_parse_result result = http_request_parse(input, &req, &status, &reason);
		size_t consumed = before - evbuffer_get_length(input);
		if (result == HTTP_PARSE_INCOMPLETE) {
			FUZZ_CHECK(consumed == 0);
			FUZZ_CHECK(req.head == NULL && req.body == NULL && req.header_count == 0);
			return 0;
		}
		struct outcome *outcome = &outcomes->items[outcomes->count++];
		outcome->result = result;
		outcome->stream_position = *position;
		if (result == HTTP_PARSE_ERROR) {
			check_error(status, reason);
			FUZZ_CHECK(req.head == NULL && req.body == NULL && req.header_count == 0);
			outcome->status = status;
			return -1;
		}
		FUZZ_CHECK(result == HTTP_PARSE_DONE);
		check_request(&req, stream + *position, consumed);
		outcome->consumed = consumed;
		outcome->request_hash = hash_request(&req);
		*position += consumed;
		http_request_reset(&req);
		if (outcomes->count == MAX_REQUESTS)
			return -1;
	}
}

static void parse_whole(const uint8_t *data, size_t size, struct outcomes *outcomes)
{
	struct evbuffer *input = evbuffer_new();
	FUZZ_CHECK(input != NULL);
	evbuffer_add(input, data, size);
	size_t position = 0;
	parse_available(input, data, &position, outcomes);
	evbuffer_free(input);
}

static void parse_in_pieces(const uint8_t *data, size_t size, struct outcomes *outcomes)
{
	struct evbuffer *input = evbuffer_new();
	FUZZ_CHECK(input != NULL);
	struct fuzz_chunker chunker;
	fuzz_chunker_init(&chunker, data, size);
	size_t fed = 0, position = 0;
	while (fed < size) {
		size_t piece = fuzz_chunker_next(&chunker, size - fed);
		evbuffer_add(input, data + fed, piece);
		fed += piece;
		if (parse_available(input, data, &position, outcomes) != 0)
			break;
	}
	evbuffer_free(input);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcomes whole, pieces;
	memset(&whole, 0, sizeof(whole));
	memset(&pieces, 0, sizeof(pieces));
	parse_whole(data, size, &whole);
	parse_in_pieces(data, size, &pieces);

	FUZZ_CHECK(whole.count == pieces.count);
	for (size_t i = 0; i < whole.count; i++) {
		const struct outcome *a = &whole.items[i], *b = &pieces.items[i];
		FUZZ_CHECK(a->result == b->result);
		FUZZ_CHECK(a->status == b->status);
		FUZZ_CHECK(a->consumed == b->consumed);
		FUZZ_CHECK(a->request_hash == b->request_hash);
		FUZZ_CHECK(a->stream_position == b->stream_position);
	}
	return 0;
}
