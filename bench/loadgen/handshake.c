/*
 * handshake.c: builds the upgrade request and validates the server's answer.
 *
 * Parsing is deliberately strict about what RFC 6455 requires of the server
 * and lenient about everything else (extra headers, header order, case),
 * since the point is to catch a refusal, not to police HTTP style.
 */
#include "bench/loadgen/handshake.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char websocket_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int bench_handshake_key(char key[BENCH_HANDSHAKE_KEY_SIZE])
{
	unsigned char raw[16];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	return 0;
}

int bench_handshake_accept(const char *key, char accept[BENCH_HANDSHAKE_ACCEPT_SIZE])
{
	char joined[128];
	int length = snprintf(joined, sizeof(joined), "%s%s", key, websocket_guid);
	if (length < 0 || (size_t)length >= sizeof(joined))
		return -1;
	unsigned char digest[SHA_DIGEST_LENGTH];
	if (SHA1((const unsigned char *)joined, (size_t)length, digest) == NULL)
		return -1;
	EVP_EncodeBlock((unsigned char *)accept, digest, sizeof(digest));
	return 0;
}

int bench_handshake_request(char *out, size_t size, const char *host, const char *path,
                            const char *key)
{
	int length = snprintf(out, size,
	                      "GET %s HTTP/1.1\r\n"
	                      "Host: %s\r\n"
	                      "Upgrade: websocket\r\n"
	                      "Connection: Upgrade\r\n"
	                      "Sec-WebSocket-Key: %s\r\n"
	                      "Sec-WebSocket-Version: 13\r\n"
	                      "\r\n",
	                      path, host, key);
	if (length < 0 || (size_t)length >= size)
		return -1;
	return length;
}

/* Finds header name in head and copies its trimmed value into value.
 * Returns 1 if found, 0 if not. */
static int find_header(const char *head, size_t length, const char *name, char *value,
                       size_t value_size)
{
	size_t name_length = strlen(name);
	const char *end = head + length;
	const char *line = memchr(head, '\n', length); /* skip the status line */
	while (line != NULL && line + 1 < end) {
		line++;
		const char *line_end = memchr(line, '\n', (size_t)(end - line));
		if (line_end == NULL)
			line_end = end;
		if ((size_t)(line_end - line) > name_length && line[name_length] == ':' &&
		    strncasecmp(line, name, name_length) == 0) {
			const char *v = line + name_length + 1;
			const char *v_end = line_end;
			while (v < v_end && (*v == ' ' || *v == '\t'))
				v++;
			while (v_end > v &&
			       (v_end[-1] == '\r' || v_end[-1] == ' ' || v_end[-1] == '\t'))
				v_end--;
			size_t n = (size_t)(v_end - v);
			if (n >= value_size)
				n = value_size - 1;
			memcpy(value, v, n);
			value[n] = '\0';
			return 1;
		}
		line = line_end;
	}
	return 0;
}

/* 1 if the comma-separated list contains token, ignoring case and spaces. */
static int list_contains(const char *list, const char *token)
{
	size_t token_length = strlen(token);
	const char *p = list;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *start = p;
		while (*p != '\0' && *p != ',')
			p++;
		const char *stop = p;
		while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
			stop--;
		if ((size_t)(stop - start) == token_length &&
		    strncasecmp(start, token, token_length) == 0)
			return 1;
	}
	return 0;
}

int bench_handshake_check(const char *head, size_t length, const char *key, int *status, char *err,
                          size_t err_size)
{
	*status = 0;
	char line[64];
	size_t line_length = 0;
	while (line_length < length && line_length + 1 < sizeof(line) &&
	       head[line_length] != '\r' && head[line_length] != '\n') {
		line[line_length] = head[line_length];
		line_length++;
	}
	line[line_length] = '\0';
	int code = 0;
	char after = '\0';
	if (sscanf(line, "HTTP/1.1 %3d%c", &code, &after) < 1 || code < 100 || code > 599 ||
	    (after != '\0' && after != ' ')) {
		snprintf(err, err_size, "malformed status line");
		return -1;
	}
	*status = code;
	if (code != 101) {
		snprintf(err, err_size, "server answered HTTP %d instead of 101", code);
		return -1;
	}
	char value[256];
	if (!find_header(head, length, "Upgrade", value, sizeof(value)) ||
	    strcasecmp(value, "websocket") != 0) {
		snprintf(err, err_size, "101 without Upgrade: websocket");
		return -1;
	}
	if (!find_header(head, length, "Connection", value, sizeof(value)) ||
	    !list_contains(value, "upgrade")) {
		snprintf(err, err_size, "101 without Connection: upgrade");
		return -1;
	}
	char expected[BENCH_HANDSHAKE_ACCEPT_SIZE];
	if (bench_handshake_accept(key, expected) != 0) {
		snprintf(err, err_size, "cannot compute the accept key");
		return -1;
	}
	if (!find_header(head, length, "Sec-WebSocket-Accept", value, sizeof(value)) ||
	    strcmp(value, expected) != 0) {
		snprintf(err, err_size, "wrong or missing Sec-WebSocket-Accept");
		return -1;
	}
	return 0;
}
