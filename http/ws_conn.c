/*
 * ws_conn.c: one WebSocket connection's framing, on top of wslay's event API
 * and the owner's bufferevent.
 *
 * wslay reads frames through ws_recv, which hands it one frame at a time
 * after ws_frame_inspect has vetted the header, and writes through ws_send,
 * which appends to the bufferevent's output and so never blocks: every
 * queued frame is on its way as soon as the call that queued it returns.
 *
 * Sending waits while input is read, and wslay sends control frames before
 * data: a close decided while reading (a violation, the owner's limit) is
 * therefore held until the read ends and the replies already queued are on
 * the wire, so the client sees them, then the close.
 */
#include "http/ws.h"
#include "http/ws_frame.h"
#include "http/utf8.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#define CLOSE_REASON_MAX 123 /* a control frame holds 125 bytes, 2 go to the code */

struct ws_conn {
	struct bufferevent *bev;       /* borrowed from the owner */
	wslay_event_context_ptr wslay; /* owned */
	struct ws_callbacks callbacks; /* copied; any member may be NULL */
	void *arg;                     /* borrowed; passed to the callbacks */
	size_t max_message;            /* largest message accepted, in bytes */
	uint64_t frame_remaining;      /* bytes of the current frame not yet given to
	                                * wslay; 0 at a frame boundary */
	int close_code;                /* code of the close we queued or hold; 0 before */
	int feeding;                   /* inside ws_conn_feed: sending waits for its end */
	int close_held;                /* a close asked for while feeding, queued after it */
	size_t held_reason_length;
	char held_reason[CLOSE_REASON_MAX]; /* valid UTF-8, not terminated */
};

/* Queues the close frame, or holds it until the read in progress ends. When
 * the peer's close came first, wslay has queued the echo and ours is moot.
 * Out of memory, no goodbye is possible, so both ways stop. */
static void queue_close(struct ws_conn *ws, int code, const char *reason, size_t reason_length)
{
	ws->close_code = code;
	if (ws->feeding) {
		ws->close_held = 1;
		memcpy(ws->held_reason, reason, reason_length);
		ws->held_reason_length = reason_length;
		return;
	}
	int rc = wslay_event_queue_close(ws->wslay, (uint16_t)code, (const uint8_t *)reason,
	                                 reason_length);
	if (rc == WSLAY_ERR_NO_MORE_MSG) {
		ws->close_code = 0; /* ws_close_code reports the close wslay sent */
	} else if (rc != 0) {
		wslay_event_shutdown_read(ws->wslay);
		wslay_event_shutdown_write(ws->wslay);
	}
}

/* Closes for a violation and stops reading: nothing the peer sends after it
 * means anything. reason is a short constant. */
static void fail_connection(struct ws_conn *ws, int code, const char *reason)
{
	if (!ws_is_closing(ws))
		queue_close(ws, code, reason, strlen(reason));
	wslay_event_shutdown_read(ws->wslay);
}

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user_data)
{
	struct ws_conn *ws = user_data;
	struct evbuffer *input = bufferevent_get_input(ws->bev);
	size_t available = evbuffer_get_length(input);

	if (ws->frame_remaining == 0 && available > 0) {
		unsigned char head_bytes[WS_FRAME_HEAD_MAX];
		ev_ssize_t peeked = evbuffer_copyout(input, head_bytes, sizeof(head_bytes));
		struct ws_frame_head head;
		int code = 0;
		const char *reason = "";
		switch (ws_frame_inspect(head_bytes, peeked > 0 ? (size_t)peeked : 0,
		                         ws->max_message, &head, &code, &reason)) {
		case WS_FRAME_INCOMPLETE:
			available = 0;
			break;
		case WS_FRAME_REJECTED:
			fail_connection(ws, code, reason);
			available = 0;
			break;
		case WS_FRAME_ACCEPTED:
			/* wslay checks the UTF-8 of a close reason per piece it
			 * reads, skipping each piece's first two bytes as if they
			 * were the code: a reason cut in pieces would escape the
			 * check and be echoed back. A control frame (at most 139
			 * bytes) therefore goes to wslay whole. */
			if ((head.opcode & 0x8) &&
			    available < head.head_length + head.payload_length) {
				available = 0;
				break;
			}
			ws->frame_remaining = head.head_length + head.payload_length;
			break;
		}
	}
	/* Never past the current frame, so the next header is inspected
	 * before wslay sees it. */
	size_t n = len < available ? len : available;
	if (n > ws->frame_remaining)
		n = (size_t)ws->frame_remaining;
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (evbuffer_remove(input, buf, n) != (int)n) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	ws->frame_remaining -= n;
	return (ssize_t)n;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user_data)
{
	struct ws_conn *ws = user_data;
	if (bufferevent_write(ws->bev, data, len) != 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *frame, void *user_data)
{
	struct ws_conn *ws = user_data;
	if (ws->callbacks.on_activity)
		ws->callbacks.on_activity(ws->arg);
}

static void deliver_text(struct ws_conn *ws, const uint8_t *data, size_t length)
{
	/* Once we have said goodbye, the peer's last messages are moot. */
	if (ws->close_code != 0)
		return;
	/* wslay validates text too; checking again keeps on_text's promise
	 * independent of the library version. */
	if (!utf8_is_valid(data, length)) {
		fail_connection(ws, WS_CLOSE_INVALID_PAYLOAD, "invalid UTF-8 in text message");
		return;
	}
	char *text = malloc(length + 1);
	if (!text) {
		fail_connection(ws, WS_CLOSE_INTERNAL_ERROR, "out of memory");
		return;
	}
	if (length > 0)
		memcpy(text, data, length);
	text[length] = '\0';
	if (ws->callbacks.on_text)
		ws->callbacks.on_text(ws->arg, text, length);
	free(text);
}

static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *msg,
                       void *user_data)
{
	struct ws_conn *ws = user_data;
	switch (msg->opcode) {
	case WSLAY_TEXT_FRAME:
		deliver_text(ws, msg->msg, msg->msg_length);
		break;
	case WSLAY_CONNECTION_CLOSE:
		/* wslay has already queued the echo and stopped reading. */
		if (ws->callbacks.on_close)
			ws->callbacks.on_close(ws->arg, msg->status_code ? msg->status_code : 1005);
		break;
	case WSLAY_BINARY_FRAME:
		/* ws_frame_inspect refuses these at their header. */
		fail_connection(ws, WS_CLOSE_UNSUPPORTED_DATA, "binary messages are not supported");
		break;
	default:
		/* Pings are answered by wslay; pongs only count as activity. */
		break;
	}
}

struct ws_conn *ws_conn_new(struct bufferevent *bev, size_t max_message,
                            const struct ws_callbacks *callbacks, void *arg)
{
	static const struct wslay_event_callbacks wslay_callbacks = {
	    .recv_callback = ws_recv,
	    .send_callback = ws_send,
	    .on_frame_recv_start_callback = on_frame_start,
	    .on_msg_recv_callback = on_message,
	};
	struct ws_conn *ws = calloc(1, sizeof(*ws));
	if (!ws)
		return NULL;
	ws->bev = bev;
	ws->callbacks = *callbacks;
	ws->arg = arg;
	ws->max_message = max_message;
	if (wslay_event_context_server_init(&ws->wslay, &wslay_callbacks, ws) != 0) {
		free(ws);
		return NULL;
	}
	wslay_event_config_set_max_recv_msg_length(ws->wslay, max_message);
	return ws;
}

void ws_conn_free(struct ws_conn *ws)
{
	if (!ws)
		return;
	wslay_event_context_free(ws->wslay);
	free(ws);
}

/* Moves queued frames into the output. A failure there (out of memory)
 * leaves nothing sensible to send: writing stops for good. */
static void flush(struct ws_conn *ws)
{
	if (ws->feeding || !wslay_event_want_write(ws->wslay))
		return;
	if (wslay_event_send(ws->wslay) != 0)
		wslay_event_shutdown_write(ws->wslay);
}

enum ws_feed_result ws_conn_feed(struct ws_conn *ws)
{
	if (wslay_event_want_read(ws->wslay)) {
		ws->feeding = 1;
		/* On failure wslay has queued a close and stopped reading. */
		if (wslay_event_recv(ws->wslay) != 0)
			wslay_event_shutdown_read(ws->wslay);
		ws->feeding = 0;
	}
	if (ws->close_held) {
		ws->close_held = 0;
		flush(ws); /* the replies queued before the close go first */
		queue_close(ws, ws->close_code, ws->held_reason, ws->held_reason_length);
	}
	if (!wslay_event_get_read_enabled(ws->wslay)) {
		struct evbuffer *input = bufferevent_get_input(ws->bev);
		evbuffer_drain(input, evbuffer_get_length(input));
	}
	flush(ws);
	if (!wslay_event_want_read(ws->wslay) && !wslay_event_want_write(ws->wslay))
		return WS_CLOSED;
	return ws_is_closing(ws) ? WS_CLOSING : WS_OPEN;
}

int ws_send_text(struct ws_conn *ws, const char *data, size_t length)
{
	if (ws_is_closing(ws) || !utf8_is_valid(data, length))
		return -1;
	struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)data, length};
	if (wslay_event_queue_msg(ws->wslay, &msg) != 0)
		return -1;
	flush(ws);
	return 0;
}

int ws_send_ping(struct ws_conn *ws)
{
	if (ws_is_closing(ws))
		return -1;
	struct wslay_event_msg msg = {WSLAY_PING, NULL, 0};
	if (wslay_event_queue_msg(ws->wslay, &msg) != 0)
		return -1;
	flush(ws);
	return 0;
}

/* Codes an endpoint may put on the wire (RFC 6455 section 7.4, IANA). */
static int is_sendable_code(int code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

void ws_close(struct ws_conn *ws, int code, const char *reason)
{
	if (ws_is_closing(ws))
		return;
	if (!is_sendable_code(code))
		code = WS_CLOSE_INTERNAL_ERROR;
	if (!reason)
		reason = "";
	size_t reason_length = strlen(reason);
	if (reason_length > 0 && !utf8_is_valid(reason, reason_length))
		reason_length = 0;
	reason_length = utf8_prefix_length(reason, reason_length, CLOSE_REASON_MAX);
	queue_close(ws, code, reason, reason_length);
	flush(ws);
}

int ws_is_closing(const struct ws_conn *ws)
{
	return ws->close_code != 0 || !wslay_event_get_read_enabled(ws->wslay) ||
	       wslay_event_get_close_sent(ws->wslay) || wslay_event_get_close_received(ws->wslay);
}

int ws_close_code(const struct ws_conn *ws)
{
	if (ws->close_code != 0)
		return ws->close_code;
	if (wslay_event_get_close_sent(ws->wslay))
		return wslay_event_get_status_code_sent(ws->wslay);
	return 0;
}
