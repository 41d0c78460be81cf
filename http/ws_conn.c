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
 *
 * wslay's context carries two 4 KiB buffers, most of an idle connection's
 * memory. It therefore exists only while it holds something: it is made when
 * input arrives or a close is queued, and freed again once it is back at a
 * message boundary with nothing queued and no close under way, when a fresh
 * context is in the same state. Without one, the frames that need no state
 * are handled here, as wslay would handle them: a text message or a ping we
 * send is framed and written straight to the output, and a complete text
 * message in one frame or a pong from the client is read without wslay.
 * Everything else (fragments, partial frames, pings, closes, anything wslay
 * or ws_frame_inspect would refuse) goes to a context made on the spot.
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
	wslay_event_context_ptr wslay; /* owned; NULL while it would hold nothing */
	struct ws_callbacks callbacks; /* copied; any member may be NULL */
	void *arg;                     /* borrowed; passed to the callbacks */
	size_t max_message;            /* largest message accepted, in bytes */
	uint64_t frame_remaining;      /* bytes of the current frame not yet given to
	                                * wslay; 0 at a frame boundary */
	int in_message;                /* wslay holds the first fragments of a message */
	int close_code;                /* code of the close we queued or hold; 0 before */
	int feeding;                   /* inside ws_conn_feed: sending waits for its end */
	int close_held;                /* a close asked for while feeding, queued after it */
	size_t held_reason_length;
	char *held_reason; /* owned while a close is held: valid UTF-8, not terminated */
};

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user_data);
static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user_data);
static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *frame,
                           void *user_data);
static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *msg,
                       void *user_data);

/* Makes wslay's context if there is none. Returns 0, or -1 out of memory. */
static int open_context(struct ws_conn *ws)
{
	static const struct wslay_event_callbacks wslay_callbacks = {
	    .recv_callback = ws_recv,
	    .send_callback = ws_send,
	    .on_frame_recv_start_callback = on_frame_start,
	    .on_msg_recv_callback = on_message,
	};
	if (ws->wslay)
		return 0;
	if (wslay_event_context_server_init(&ws->wslay, &wslay_callbacks, ws) != 0) {
		ws->wslay = NULL;
		return -1;
	}
	wslay_event_config_set_max_recv_msg_length(ws->wslay, ws->max_message);
	return 0;
}

/* Frees wslay's context when a fresh one would be in the same state: no
 * frame or message half read, nothing waiting to be written, both directions
 * open and no close sent, received or decided. */
static void release_context_if_idle(struct ws_conn *ws)
{
	if (!ws->wslay || ws->feeding || ws->frame_remaining != 0 || ws->in_message ||
	    ws->close_code != 0 || ws->close_held)
		return;
	if (!wslay_event_get_read_enabled(ws->wslay) || !wslay_event_get_write_enabled(ws->wslay) ||
	    wslay_event_get_close_sent(ws->wslay) || wslay_event_get_close_received(ws->wslay) ||
	    wslay_event_want_write(ws->wslay))
		return;
	wslay_event_context_free(ws->wslay);
	ws->wslay = NULL;
}

/* Writes one unfragmented frame the way wslay frames a server's message:
 * FIN set, no mask, the shortest length encoding. Only without a context,
 * so nothing queued in wslay can be overtaken. Returns 0, or -1. */
static int write_frame(struct ws_conn *ws, int opcode, const char *data, size_t length)
{
	unsigned char head[10];
	size_t head_length = 2;
	head[0] = (unsigned char)(0x80 | opcode);
	if (length < 126) {
		head[1] = (unsigned char)length;
	} else if (length <= 0xffff) {
		head[1] = 126;
		head[2] = (unsigned char)(length >> 8);
		head[3] = (unsigned char)length;
		head_length = 4;
	} else {
		head[1] = 127;
		for (int i = 0; i < 8; i++)
			head[2 + i] = (unsigned char)((uint64_t)length >> (56 - 8 * i));
		head_length = 10;
	}
	struct evbuffer *output = bufferevent_get_output(ws->bev);
	if (evbuffer_expand(output, head_length + length) != 0 ||
	    evbuffer_add(output, head, head_length) != 0)
		return -1;
	if (length > 0 && evbuffer_add(output, data, length) != 0)
		return -1;
	return 0;
}

/* Queues the close frame, or holds it until the read in progress ends. When
 * the peer's close came first, wslay has queued the echo and ours is moot.
 * Out of memory, no goodbye is possible, so both ways stop. */
static void queue_close(struct ws_conn *ws, int code, const char *reason, size_t reason_length)
{
	ws->close_code = code;
	if (ws->feeding) {
		ws->close_held = 1;
		free(ws->held_reason);
		ws->held_reason = reason_length > 0 ? malloc(reason_length) : NULL;
		if (ws->held_reason)
			memcpy(ws->held_reason, reason, reason_length);
		ws->held_reason_length = ws->held_reason ? reason_length : 0;
		return;
	}
	if (open_context(ws) != 0)
		return; /* close_code stays: no goodbye, and the owner closes */
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
			if (!(head.opcode & 0x8))
				ws->in_message = !head.fin;
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
	struct ws_conn *ws = calloc(1, sizeof(*ws));
	if (!ws)
		return NULL;
	ws->bev = bev;
	ws->callbacks = *callbacks;
	ws->arg = arg;
	ws->max_message = max_message;
	return ws;
}

void ws_conn_free(struct ws_conn *ws)
{
	if (!ws)
		return;
	if (ws->wslay)
		wslay_event_context_free(ws->wslay);
	free(ws->held_reason);
	free(ws);
}

/* Moves queued frames into the output. A failure there (out of memory)
 * leaves nothing sensible to send: writing stops for good. */
static void flush(struct ws_conn *ws)
{
	if (!ws->wslay || ws->feeding || !wslay_event_want_write(ws->wslay))
		return;
	if (wslay_event_send(ws->wslay) != 0)
		wslay_event_shutdown_write(ws->wslay);
}

/* Reads the next frame without a context if it is a pong, or a text message
 * whole in one frame whose text is valid. Returns 1 if it did, 0 if the
 * frame (or what has arrived of it) is left for wslay. */
static int read_simple_frame(struct ws_conn *ws)
{
	struct evbuffer *input = bufferevent_get_input(ws->bev);
	size_t available = evbuffer_get_length(input);
	unsigned char head_bytes[WS_FRAME_HEAD_MAX];
	ev_ssize_t peeked = evbuffer_copyout(input, head_bytes, sizeof(head_bytes));
	struct ws_frame_head head;
	int code = 0;
	const char *reason = "";
	if (ws_frame_inspect(head_bytes, peeked > 0 ? (size_t)peeked : 0, ws->max_message, &head,
	                     &code, &reason) != WS_FRAME_ACCEPTED ||
	    !head.masked || (head_bytes[0] & 0x70) != 0 || !head.fin ||
	    (head.opcode != WSLAY_TEXT_FRAME && head.opcode != WSLAY_PONG) ||
	    available - head.head_length < head.payload_length)
		return 0;
	if (head.opcode == WSLAY_PONG) {
		evbuffer_drain(input, head.head_length + (size_t)head.payload_length);
		if (ws->callbacks.on_activity)
			ws->callbacks.on_activity(ws->arg);
		return 1;
	}
	size_t length = (size_t)head.payload_length;
	char *text = malloc(length + 1);
	if (!text)
		return 0;
	struct evbuffer_ptr payload;
	if (evbuffer_ptr_set(input, &payload, head.head_length, EVBUFFER_PTR_SET) != 0 ||
	    evbuffer_copyout_from(input, &payload, text, length) != (ev_ssize_t)length) {
		free(text);
		return 0;
	}
	const unsigned char *key = head_bytes + head.head_length - 4;
	for (size_t i = 0; i < length; i++)
		text[i] = (char)(text[i] ^ key[i % 4]);
	/* Invalid text is wslay's to refuse, with the close it always sends. */
	if (!utf8_is_valid(text, length)) {
		free(text);
		return 0;
	}
	text[length] = '\0';
	evbuffer_drain(input, head.head_length + length);
	if (ws->callbacks.on_activity)
		ws->callbacks.on_activity(ws->arg);
	if (ws->close_code == 0 && ws->callbacks.on_text)
		ws->callbacks.on_text(ws->arg, text, length);
	free(text);
	return 1;
}

enum ws_feed_result ws_conn_feed(struct ws_conn *ws)
{
	if (!ws->wslay) {
		struct evbuffer *input = bufferevent_get_input(ws->bev);
		ws->feeding = 1;
		while (ws->close_code == 0 && evbuffer_get_length(input) > 0 &&
		       read_simple_frame(ws))
			;
		ws->feeding = 0;
		if (!ws->close_held && evbuffer_get_length(input) == 0)
			return ws->close_code != 0 ? WS_CLOSED : WS_OPEN;
		/* Out of memory, neither reading nor a goodbye is possible. */
		if (open_context(ws) != 0)
			return WS_CLOSED;
	}
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
		queue_close(ws, ws->close_code, ws->held_reason ? ws->held_reason : "",
		            ws->held_reason_length);
		free(ws->held_reason);
		ws->held_reason = NULL;
		ws->held_reason_length = 0;
	}
	if (!wslay_event_get_read_enabled(ws->wslay)) {
		struct evbuffer *input = bufferevent_get_input(ws->bev);
		evbuffer_drain(input, evbuffer_get_length(input));
	}
	flush(ws);
	if (!ws->wslay) /* a close could not even be queued: out of memory */
		return WS_CLOSED;
	if (!wslay_event_want_read(ws->wslay) && !wslay_event_want_write(ws->wslay))
		return WS_CLOSED;
	enum ws_feed_result result = ws_is_closing(ws) ? WS_CLOSING : WS_OPEN;
	release_context_if_idle(ws);
	return result;
}

int ws_send_text(struct ws_conn *ws, const char *data, size_t length)
{
	if (ws_is_closing(ws) || !utf8_is_valid(data, length))
		return -1;
	if (!ws->wslay)
		return write_frame(ws, WSLAY_TEXT_FRAME, data, length);
	struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)data, length};
	if (wslay_event_queue_msg(ws->wslay, &msg) != 0)
		return -1;
	flush(ws);
	release_context_if_idle(ws);
	return 0;
}

int ws_send_ping(struct ws_conn *ws)
{
	if (ws_is_closing(ws))
		return -1;
	if (!ws->wslay)
		return write_frame(ws, WSLAY_PING, NULL, 0);
	struct wslay_event_msg msg = {WSLAY_PING, NULL, 0};
	if (wslay_event_queue_msg(ws->wslay, &msg) != 0)
		return -1;
	flush(ws);
	release_context_if_idle(ws);
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
	if (ws->close_code != 0)
		return 1;
	return ws->wslay &&
	       (!wslay_event_get_read_enabled(ws->wslay) || wslay_event_get_close_sent(ws->wslay) ||
	        wslay_event_get_close_received(ws->wslay));
}

int ws_close_code(const struct ws_conn *ws)
{
	if (ws->close_code != 0)
		return ws->close_code;
	if (ws->wslay && wslay_event_get_close_sent(ws->wslay))
		return wslay_event_get_status_code_sent(ws->wslay);
	return 0;
}
