/*
 * wsclient.c: socket, upgrade handshake and wslay framing for one client.
 *
 * States run CONNECTING -> HANDSHAKE -> OPEN -> (DRAINING) -> ENDED. Every way
 * out (refusal, reset, close frame, protocol error) goes through end_with(),
 * which reports once and leaves the object inert, so owners free connections
 * in exactly one place.
 */
#include "bench/loadgen/wsclient.h"

#include "bench/loadgen/handshake.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>

/* Past this much unsent output the generator stops queueing into the socket
 * buffer and waits for the write side to drain. */
#define OUTPUT_HIGH_WATER (1u << 20)
#define MAX_MESSAGE       (1u << 20)

enum ws_state { WS_CONNECTING, WS_HANDSHAKE, WS_OPEN, WS_DRAINING, WS_ENDED };

struct bench_ws {
	struct bufferevent *bev;       /* owned; NULL once ended */
	wslay_event_context_ptr wslay; /* owned; NULL until the upgrade succeeds */
	enum ws_state state;
	int in_receive;      /* 1 while wslay_event_recv runs: sends are deferred */
	uint64_t mask_state; /* xorshift64 state, never 0 */
	char key[BENCH_HANDSHAKE_KEY_SIZE];
	const struct bench_ws_target *target;       /* borrowed */
	const struct bench_ws_callbacks *callbacks; /* borrowed */
	void *arg;                                  /* borrowed */
};

static void end_with(struct bench_ws *ws, int close_code, const char *reason)
{
	if (ws->state == WS_ENDED)
		return;
	ws->state = WS_ENDED;
	if (ws->bev != NULL) {
		bufferevent_free(ws->bev);
		ws->bev = NULL;
	}
	ws->callbacks->on_end(ws->arg, close_code, reason);
}

static int received_close_code(struct bench_ws *ws)
{
	if (ws->wslay == NULL)
		return 0;
	int code = wslay_event_get_status_code_received(ws->wslay);
	return code == WSLAY_CODE_ABNORMAL_CLOSURE ? 0 : code;
}

static ssize_t wslay_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                             void *user_data)
{
	struct bench_ws *ws = user_data;
	int n = evbuffer_remove(bufferevent_get_input(ws->bev), buf, len);
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	return n;
}

static ssize_t wslay_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
                             int flags, void *user_data)
{
	struct bench_ws *ws = user_data;
	struct evbuffer *output = bufferevent_get_output(ws->bev);
	if (evbuffer_get_length(output) >= OUTPUT_HIGH_WATER) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (evbuffer_add(output, data, len) != 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static int wslay_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user_data)
{
	struct bench_ws *ws = user_data;
	for (size_t i = 0; i < len; i++) {
		uint64_t x = ws->mask_state;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ws->mask_state = x;
		buf[i] = (uint8_t)(x >> 32);
	}
	return 0;
}

static void wslay_message_cb(wslay_event_context_ptr ctx,
                             const struct wslay_event_on_msg_recv_arg *arg, void *user_data)
{
	struct bench_ws *ws = user_data;
	if (arg->opcode == WSLAY_TEXT_FRAME && ws->state == WS_OPEN)
		ws->callbacks->on_text(ws->arg, (const char *)arg->msg, arg->msg_length);
}

static const struct wslay_event_callbacks wslay_callbacks = {
    .recv_callback = wslay_recv_cb,
    .send_callback = wslay_send_cb,
    .genmask_callback = wslay_genmask_cb,
    .on_msg_recv_callback = wslay_message_cb,
};

/* Writes what wslay has queued and ends the connection once wslay has
 * nothing left to read or write (both close frames exchanged). Returns 0 if
 * the connection is still alive; -1 if it ended (ws may be freed). */
static int flush(struct bench_ws *ws)
{
	if (wslay_event_send(ws->wslay) != 0) {
		end_with(ws, received_close_code(ws), "write failed");
		return -1;
	}
	if (!wslay_event_want_read(ws->wslay) && !wslay_event_want_write(ws->wslay)) {
		if (evbuffer_get_length(bufferevent_get_output(ws->bev)) > 0) {
			ws->state = WS_DRAINING; /* the write callback ends it */
			return 0;
		}
		end_with(ws, received_close_code(ws), "closed");
		return -1;
	}
	return 0;
}

static void receive_frames(struct bench_ws *ws)
{
	ws->in_receive = 1;
	int rv = wslay_event_recv(ws->wslay);
	ws->in_receive = 0;
	if (rv != 0) {
		end_with(ws, received_close_code(ws), "malformed frame from server");
		return;
	}
	flush(ws);
}

static void finish_handshake(struct bench_ws *ws)
{
	struct evbuffer *input = bufferevent_get_input(ws->bev);
	struct evbuffer_ptr end = evbuffer_search(input, "\r\n\r\n", 4, NULL);
	if (end.pos < 0) {
		if (evbuffer_get_length(input) > BENCH_HANDSHAKE_HEAD_MAX)
			end_with(ws, 0, "oversized handshake response");
		return;
	}
	size_t head_length = (size_t)end.pos + 4;
	if (head_length > BENCH_HANDSHAKE_HEAD_MAX) {
		end_with(ws, 0, "oversized handshake response");
		return;
	}
	const char *head = (const char *)evbuffer_pullup(input, (ssize_t)head_length);
	int status;
	char err[128];
	if (head == NULL ||
	    bench_handshake_check(head, head_length, ws->key, &status, err, sizeof(err)) != 0) {
		end_with(ws, 0, head == NULL ? "out of memory" : err);
		return;
	}
	evbuffer_drain(input, head_length);
	if (wslay_event_context_client_init(&ws->wslay, &wslay_callbacks, ws) != 0) {
		end_with(ws, 0, "out of memory");
		return;
	}
	wslay_event_config_set_max_recv_msg_length(ws->wslay, MAX_MESSAGE);
	ws->state = WS_OPEN;
	ws->callbacks->on_open(ws->arg);
	/* Frames may have arrived right behind the 101 (the server's greeting). */
	if (ws->state == WS_OPEN && evbuffer_get_length(input) > 0)
		receive_frames(ws);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct bench_ws *ws = arg;
	if (ws->state == WS_HANDSHAKE)
		finish_handshake(ws);
	else if (ws->state == WS_OPEN)
		receive_frames(ws);
	else /* draining: the server has nothing more to say that matters */
		evbuffer_drain(bufferevent_get_input(bev),
		               evbuffer_get_length(bufferevent_get_input(bev)));
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct bench_ws *ws = arg;
	if (ws->state == WS_DRAINING)
		end_with(ws, received_close_code(ws), "closed");
	else if (ws->state == WS_OPEN && wslay_event_want_write(ws->wslay))
		flush(ws);
}

static void event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct bench_ws *ws = arg;
	if (events & BEV_EVENT_CONNECTED) {
		char path[4352];
		char request[4608];
		const char *suffix = ws->target->path_suffix != NULL ? ws->target->path_suffix : "";
		int path_length = snprintf(path, sizeof(path), "%s%s", ws->target->path, suffix);
		int length = path_length < 0 || (size_t)path_length >= sizeof(path)
		                 ? -1
		                 : bench_handshake_request(request, sizeof(request),
		                                           ws->target->host, path, ws->key);
		if (length < 0 || bufferevent_write(bev, request, (size_t)length) != 0) {
			end_with(ws, 0, "cannot write the upgrade request");
			return;
		}
		ws->state = WS_HANDSHAKE;
		return;
	}
	if (events & BEV_EVENT_ERROR) {
		char reason[128];
		snprintf(reason, sizeof(reason), "%s",
		         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		end_with(ws, received_close_code(ws), reason);
		return;
	}
	if (events & BEV_EVENT_EOF)
		end_with(ws, received_close_code(ws),
		         ws->state == WS_HANDSHAKE ? "closed during the handshake"
		                                   : "server closed the connection");
}

static int open_socket(const struct bench_ws_target *target, char *err, size_t err_size)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	/* Picks the source port at connect time, per destination, instead of
	 * reserving one per bind: without it each source address is limited to
	 * one connection per ephemeral port across every destination. */
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		snprintf(err, err_size, "setsockopt: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&target->source, sizeof(target->source)) != 0) {
		snprintf(err, err_size, "bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct bench_ws *bench_ws_connect(struct event_base *base, const struct bench_ws_target *target,
                                  const struct bench_ws_callbacks *callbacks, void *arg, char *err,
                                  size_t err_size)
{
	struct bench_ws *ws = calloc(1, sizeof(*ws));
	if (ws == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	ws->target = target;
	ws->callbacks = callbacks;
	ws->arg = arg;
	if (bench_handshake_key(ws->key) != 0 ||
	    RAND_bytes((unsigned char *)&ws->mask_state, sizeof(ws->mask_state)) != 1) {
		snprintf(err, err_size, "no randomness for the handshake");
		free(ws);
		return NULL;
	}
	ws->mask_state |= 1; /* xorshift must never be seeded with 0 */
	int fd = open_socket(target, err, err_size);
	if (fd < 0) {
		free(ws);
		return NULL;
	}
	ws->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (ws->bev == NULL) {
		snprintf(err, err_size, "out of memory");
		close(fd);
		free(ws);
		return NULL;
	}
	bufferevent_setcb(ws->bev, read_cb, write_cb, event_cb, ws);
	if (bufferevent_enable(ws->bev, EV_READ | EV_WRITE) != 0 ||
	    bufferevent_socket_connect(ws->bev, (const struct sockaddr *)&target->server,
	                               sizeof(target->server)) != 0) {
		snprintf(err, err_size, "connect: %s", strerror(errno));
		bufferevent_free(ws->bev);
		free(ws);
		return NULL;
	}
	ws->state = WS_CONNECTING;
	return ws;
}

int bench_ws_send_text(struct bench_ws *ws, const char *data, size_t length)
{
	if (ws->state != WS_OPEN)
		return -1;
	struct wslay_event_msg message = {
	    .opcode = WSLAY_TEXT_FRAME,
	    .msg = (const uint8_t *)data,
	    .msg_length = length,
	};
	if (wslay_event_queue_msg(ws->wslay, &message) != 0)
		return -1;
	if (!ws->in_receive && flush(ws) != 0)
		return -1;
	return 0;
}

void bench_ws_close(struct bench_ws *ws)
{
	if (ws->state != WS_OPEN) {
		if (ws->state == WS_CONNECTING || ws->state == WS_HANDSHAKE)
			end_with(ws, 0, "closed before the upgrade");
		return;
	}
	if (wslay_event_queue_close(ws->wslay, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0) != 0)
		return; /* a close is already under way */
	if (!ws->in_receive)
		flush(ws);
}

void bench_ws_free(struct bench_ws *ws)
{
	if (ws == NULL)
		return;
	if (ws->bev != NULL)
		bufferevent_free(ws->bev);
	if (ws->wslay != NULL)
		wslay_event_context_free(ws->wslay);
	free(ws);
}
