/*
 * ws_handshake.c: the server side of the RFC 6455 opening handshake
 * (section 4.2): checking the Upgrade request and answering 101.
 *
 * The accept key proves to the client that this server understood the
 * WebSocket request; it is Base64(SHA-1(key + the RFC's GUID)).
 */
#include "http/ws.h"
#include "http/http_request.h"
#include "http/http_syntax.h"
#include "common/base64.h"
#include "common/log.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <openssl/evp.h>
#include <string.h>

#define WS_GUID       "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LENGTH 24 /* Base64 of 16 bytes, padding included */

static int reject(int *status, const char **reason, int code, const char *text)
{
	*status = code;
	*reason = text;
	return -1;
}

/* 1 if any field called name lists token: a client may split Connection or
 * Upgrade over several lines. */
static int any_header_has_token(const struct http_request *req, const char *name, const char *token)
{
	for (int i = 0; i < req->header_count; i++) {
		if (http_name_equals(req->headers[i].name, name) &&
		    http_header_has_token(req->headers[i].value, token))
			return 1;
	}
	return 0;
}

static int count_headers(const struct http_request *req, const char *name)
{
	int count = 0;
	for (int i = 0; i < req->header_count; i++)
		count += http_name_equals(req->headers[i].name, name);
	return count;
}

static int compute_accept(const char *key, char accept[29])
{
	char material[WS_KEY_LENGTH + sizeof(WS_GUID)];
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_length = 0;
	memcpy(material, key, WS_KEY_LENGTH);
	memcpy(material + WS_KEY_LENGTH, WS_GUID, sizeof(WS_GUID));
	if (EVP_Digest(material, WS_KEY_LENGTH + strlen(WS_GUID), digest, &digest_length,
	               EVP_sha1(), NULL) != 1 ||
	    digest_length != 20)
		return -1;
	b64_encode(digest, digest_length, accept, 0);
	return 0;
}

int ws_handshake_check(const struct http_request *req, char accept[29], int *status,
                       const char **reason)
{
	if (strcmp(req->method, "GET") != 0)
		return reject(status, reason, 400, "WebSocket upgrade requires GET");
	if (req->version_minor != 1)
		return reject(status, reason, 400, "WebSocket upgrade requires HTTP/1.1");
	if (!http_request_header(req, "Host"))
		return reject(status, reason, 400, "missing Host");
	if (!any_header_has_token(req, "Upgrade", "websocket"))
		return reject(status, reason, 400, "Upgrade: websocket required");
	if (!any_header_has_token(req, "Connection", "upgrade"))
		return reject(status, reason, 400, "Connection: upgrade required");

	const char *version = http_request_header(req, "Sec-WebSocket-Version");
	if (!version)
		return reject(status, reason, 400, "missing Sec-WebSocket-Version");
	if (count_headers(req, "Sec-WebSocket-Version") != 1 || strcmp(version, "13") != 0)
		return reject(status, reason, 426, "Sec-WebSocket-Version 13 required");

	const char *key = http_request_header(req, "Sec-WebSocket-Key");
	if (!key)
		return reject(status, reason, 400, "missing Sec-WebSocket-Key");
	unsigned char nonce[WS_KEY_LENGTH * 3 / 4 + 3];
	if (count_headers(req, "Sec-WebSocket-Key") != 1 || strlen(key) != WS_KEY_LENGTH ||
	    b64_decode(key, WS_KEY_LENGTH, nonce, 0) != 16)
		return reject(status, reason, 400, "Sec-WebSocket-Key must be 16 bytes in Base64");

	if (compute_accept(key, accept) != 0)
		return reject(status, reason, 500, "cannot compute the accept key");
	return 0;
}

void ws_handshake_respond(struct bufferevent *bev, const char *accept)
{
	if (evbuffer_add_printf(bufferevent_get_output(bev),
	                        "HTTP/1.1 101 Switching Protocols\r\n"
	                        "Upgrade: websocket\r\n"
	                        "Connection: Upgrade\r\n"
	                        "Sec-WebSocket-Accept: %s\r\n"
	                        "\r\n",
	                        accept) < 0)
		log_error("websocket: out of memory writing the handshake response");
}
