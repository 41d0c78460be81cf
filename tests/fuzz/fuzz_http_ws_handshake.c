/*
 * fuzz_http_ws_handshake.c: the WebSocket opening handshake check on
 * whatever request the parser lets through.
 *
 * The input is one request head (the target adds the blank line when it is
 * missing, so mutations spend their effort on header fields). When
 * ws_handshake_check accepts, every condition of RFC 6455 section 4.2.1 is
 * verified again here, independently, and the accept key is recomputed with
 * OpenSSL's own SHA-1 and Base64; when it refuses, the status must be 400 or
 * 426 (426 only for a Sec-WebSocket-Version other than one "13").
 */
#include "http/http_request.h"
#include "http/ws.h"
#include "tests/fuzz/support/fuzz_check.h"

#include <event2/buffer.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static int equals_ignoring_case_n(const char *a, size_t length, const char *b)
{
	if (strlen(b) != length)
		return 0;
	for (size_t i = 0; i < length; i++) {
		char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] - 'A' + 'a') : a[i];
		char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] - 'A' + 'a') : b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

static int equals_ignoring_case(const char *a, const char *b)
{
	return equals_ignoring_case_n(a, strlen(a), b);
}

/* 1 if the comma list value holds token (surrounding blanks ignored). */
static int list_has_token(const char *value, const char *token)
{
	const char *p = value;
	while (*p) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *start = p;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		const char *stop = end;
		while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
			stop--;
		if (equals_ignoring_case_n(start, (size_t)(stop - start), token))
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int any_field_has_token(const struct http_request *req, const char *name, const char *token)
{
	for (int i = 0; i < req->header_count; i++)
		if (equals_ignoring_case(req->headers[i].name, name) &&
		    list_has_token(req->headers[i].value, token))
			return 1;
	return 0;
}

static int count_fields(const struct http_request *req, const char *name)
{
	int count = 0;
	for (int i = 0; i < req->header_count; i++)
		count += equals_ignoring_case(req->headers[i].name, name);
	return count;
}

/* The accept value for key, computed without icegate's code. */
static void expected_accept(const char *key, char out[29])
{
	char material[256];
	int length = snprintf(material, sizeof(material), "%s%s", key, WS_GUID);
	FUZZ_CHECK(length > 0 && (size_t)length < sizeof(material));
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_length = 0;
	FUZZ_CHECK(EVP_Digest(material, (size_t)length, digest, &digest_length, EVP_sha1(), NULL) ==
	           1);
	FUZZ_CHECK(digest_length == 20);
	FUZZ_CHECK(EVP_EncodeBlock((unsigned char *)out, digest, 20) == 28);
}

/* 1 if key is 24 characters of standard Base64 decoding to 16 bytes, with
 * canonical padding bits. */
static int key_is_valid(const char *key)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (strlen(key) != 24 || strcmp(key + 22, "==") != 0)
		return 0;
	for (int i = 0; i < 22; i++)
		if (!strchr(alphabet, key[i]) || key[i] == '\0')
			return 0;
	/* The last character carries 2 bits of data and 4 of padding. */
	size_t last = (size_t)(strchr(alphabet, key[21]) - alphabet);
	return (last & 0x0f) == 0;
}

static void check_accepted(const struct http_request *req, const char *accept)
{
	FUZZ_CHECK(strcmp(req->method, "GET") == 0);
	FUZZ_CHECK(req->version_minor == 1);
	FUZZ_CHECK(http_request_header(req, "Host") != NULL);
	FUZZ_CHECK(any_field_has_token(req, "Upgrade", "websocket"));
	FUZZ_CHECK(any_field_has_token(req, "Connection", "upgrade"));
	FUZZ_CHECK(count_fields(req, "Sec-WebSocket-Version") == 1);
	FUZZ_CHECK(strcmp(http_request_header(req, "Sec-WebSocket-Version"), "13") == 0);
	FUZZ_CHECK(count_fields(req, "Sec-WebSocket-Key") == 1);
	const char *key = http_request_header(req, "Sec-WebSocket-Key");
	FUZZ_CHECK(key_is_valid(key));
	char expected[29];
	expected_accept(key, expected);
	FUZZ_CHECK(strcmp(accept, expected) == 0);
}

static void check_refused(const struct http_request *req, int status, const char *reason)
{
	FUZZ_CHECK(status == 400 || status == 426);
	FUZZ_CHECK(reason && reason[0]);
	if (status == 426) {
		/* A version is there, but not exactly one "13". */
		const char *version = http_request_header(req, "Sec-WebSocket-Version");
		FUZZ_CHECK(version != NULL);
		FUZZ_CHECK(count_fields(req, "Sec-WebSocket-Version") != 1 ||
		           strcmp(version, "13") != 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *input = evbuffer_new();
	FUZZ_CHECK(input != NULL);
	evbuffer_add(input, data, size);
	if (size < 4 || memcmp(data + size - 4, "\r\n\r\n", 4) != 0)
		evbuffer_add(input, "\r\n\r\n", 4);

	struct http_request req;
	http_request_init(&req);
	int status = 0;
	const char *reason = NULL;
	if (http_request_parse(input, &req, &status, &reason) == HTTP_PARSE_DONE) {
		char accept[29];
		memset(accept, 0, sizeof(accept));
		int handshake_status = 0;
		const char *handshake_reason = NULL;
		if (ws_handshake_check(&req, accept, &handshake_status, &handshake_reason) == 0)
			check_accepted(&req, accept);
		else
			check_refused(&req, handshake_status, handshake_reason);
	}
	http_request_reset(&req);
	evbuffer_free(input);
	return 0;
}
