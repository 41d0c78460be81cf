/*
 * ws.h: WebSocket (RFC 6455) server side, on top of wslay and a bufferevent.
 *
 * ws_handshake_check validates an Upgrade request and computes the accept key.
 * A struct ws_conn then owns the framing: wslay decodes frames from the
 * bufferevent's input and encodes ours into its output. Protocol violations
 * close with the RFC's code: 1002 for unmasked client frames, reserved bits,
 * unknown opcodes and malformed control frames; 1007 for invalid UTF-8 in a
 * text message or close reason; 1009 for a message over the size limit; 1003
 * for binary messages, which signaling does not use.
 *
 * Lifetime: ws_conn never frees the bufferevent. After ws_conn_feed returns
 * WS_CLOSED, or once the owner has called ws_close and the output drained, the
 * owner frees both.
 */
#ifndef ICEGATE_HTTP_WS_H
#define ICEGATE_HTTP_WS_H

#include <stddef.h>

struct bufferevent;
struct http_request;
struct ws_conn;

/* RFC 6455 and application close codes used by icegate. */
enum {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL_ERROR = 1002,
	WS_CLOSE_UNSUPPORTED_DATA = 1003,
	WS_CLOSE_INVALID_PAYLOAD = 1007,
	WS_CLOSE_POLICY_VIOLATION = 1008,
	WS_CLOSE_MESSAGE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL_ERROR = 1011,
	WS_CLOSE_UNAUTHORIZED = 4401, /* no valid token, or it expired */
	WS_CLOSE_FORBIDDEN = 4403,    /* user disabled or deleted */
	WS_CLOSE_REPLACED = 4409,     /* reserved: same peer id connected elsewhere */
};

/*
 * Checks method GET, HTTP/1.1, Upgrade: websocket, Connection: upgrade,
 * Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key that decodes to 16 bytes.
 * On success fills accept (28 characters + NUL) and returns 0. On failure
 * returns -1 with *status (400, or 426 for a wrong version, which must be
 * answered with "Sec-WebSocket-Version: 13") and *reason.
 */
int ws_handshake_check(const struct http_request *req, char accept[29], int *status,
		       const char **reason);

/* Writes the 101 Switching Protocols response for accept into bev's output. */
void ws_handshake_respond(struct bufferevent *bev, const char *accept);

struct ws_callbacks {
	/* A complete text message; data is valid UTF-8 and NUL-terminated. */
	void (*on_text)(void *arg, const char *data, size_t length);
	/* The peer sent a close frame (code 1005 if it carried none). */
	void (*on_close)(void *arg, int code);
	/* Any frame arrived (pong included): resets idle timers. */
	void (*on_activity)(void *arg);
};

/* max_message: largest message accepted (bytes, after reassembly). */
struct ws_conn *ws_conn_new(struct bufferevent *bev, size_t max_message,
			    const struct ws_callbacks *callbacks, void *arg);
void ws_conn_free(struct ws_conn *ws);

enum ws_feed_result {
	WS_OPEN,    /* keep going */
	WS_CLOSING, /* a close frame was queued; wait for output to drain */
	WS_CLOSED,  /* nothing more to read or write: free now */
};

/* Decodes what is in bev's input, calling the callbacks, and queues any
 * replies (pongs, the close frame answering a violation). */
enum ws_feed_result ws_conn_feed(struct ws_conn *ws);

/* Queues a text message. Returns 0, or -1 if the connection is closing. */
int ws_send_text(struct ws_conn *ws, const char *data, size_t length);
int ws_send_ping(struct ws_conn *ws);
/* Queues a close frame with code and reason; later sends are refused. */
void ws_close(struct ws_conn *ws, int code, const char *reason);
/* 1 once a close frame has been queued by either side. */
int ws_is_closing(const struct ws_conn *ws);
/* The code we sent (or 0). */
int ws_close_code(const struct ws_conn *ws);

#endif
