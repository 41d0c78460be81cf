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
 *
 * Subtleties:
 * - WS_CLOSED means the WebSocket exchange is over, not that the bytes have
 *   left: the final close frame (our echo, or the code of a violation) may
 *   still sit in bev's output. Stop reading, let the output drain (write
 *   callback), then free; free at once only if the peer is already gone.
 *   A violation yields WS_CLOSED immediately: reading stops at once.
 * - WS_CLOSING after ws_close means we wait for the peer's echo; keep
 *   feeding input and arm a timeout, since a peer may never answer.
 * - Once a close is queued, text messages still arriving are not delivered,
 *   and input after the peer's close frame is discarded by ws_conn_feed.
 * - Callbacks run inside ws_conn_feed. They may call ws_send_text, ws_close
 *   and ws_send_ping (the frames go out when feed returns) but must not call
 *   ws_conn_free or free the bufferevent: act on feed's result instead.
 * - on_close is called for the peer's close frame whether it opens the
 *   closing handshake or answers our ws_close.
 * - Text may contain U+0000: use the length, not strlen, when it matters.
 * - Close codes the peer sends are checked by wslay, which accepts
 *   1000-1003, 1007-1011 and 3000-4999; the registered 1012-1014 are also
 *   refused with 1002 (browsers cannot send them).
 * - Sending never blocks: frames are appended to bev's output whatever its
 *   size, so the owner should watch the output length of slow readers.
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
 * answered with "Sec-WebSocket-Version: 13"; 500 only if SHA-1 itself
 * fails) and *reason. A missing Sec-WebSocket-Version is a 400.
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

/* Queues a text message. Returns 0, or -1 if the connection is closing (or
 * data is not valid UTF-8, or memory ran out). */
int ws_send_text(struct ws_conn *ws, const char *data, size_t length);
int ws_send_ping(struct ws_conn *ws);
/* Queues a close frame with code and reason; later sends are refused. A code
 * an endpoint may not send (1004-1006, 1015, below 1000, ...) goes out as
 * 1011; the reason is cut to 123 bytes on a character boundary. Does nothing
 * if a close is already under way. */
void ws_close(struct ws_conn *ws, int code, const char *reason);
/* 1 once a close frame has been queued by either side. */
int ws_is_closing(const struct ws_conn *ws);
/* The code we sent (or 0); 1005 if our close frame (an echo) had none. */
int ws_close_code(const struct ws_conn *ws);

#endif
