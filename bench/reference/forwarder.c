/*
 * forwarder.c: icegate-forwarder, the benchmarks' limit reference. A minimal
 * WebSocket server on the same event library (libevent bufferevents) and the
 * same framing library (wslay) as icegate, doing the least a relay can do:
 * it pairs the two connections that ask for the same room
 * (GET /pair?room=R) and forwards every text message to the partner
 * unchanged, without parsing it. What icegate adds on top (authentication,
 * JSON parsing and rewriting, rooms, limits) is what its relay figures cost
 * beyond this one.
 *
 * Each connection is told {"type":"open"} once accepted (and paired, if its
 * partner is already there). A message to a connection without a partner is
 * dropped. Listens on 127.0.0.1 only; runs until killed.
 *
 *   icegate-forwarder PORT
 */
#include "bench/loadgen/handshake.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#define LISTEN_BACKLOG 1024
#define MAX_MESSAGE    (1u << 20)
#define ROOM_MAX       64

enum conn_state { CONN_HANDSHAKE, CONN_OPEN };

struct forwarder;

struct conn {
	struct bufferevent *bev;       /* owned */
	wslay_event_context_ptr wslay; /* owned; NULL during the handshake */
	enum conn_state state;
	int closing;               /* both close frames through: freed once the output is written */
	struct conn *partner;      /* borrowed; NULL until paired or once it left */
	struct conn *next_waiting; /* in forwarder->waiting while unpaired */
	char room[ROOM_MAX];       /* "" if the path named none */
	struct forwarder *owner;   /* borrowed */
};

struct forwarder {
	struct event_base *base;
	struct conn *waiting; /* unpaired connections; a pair's two arrive close together */
};

static void unlink_waiting(struct conn *conn)
{
	for (struct conn **p = &conn->owner->waiting; *p != NULL; p = &(*p)->next_waiting)
		if (*p == conn) {
			*p = conn->next_waiting;
			break;
		}
	conn->next_waiting = NULL;
}

static void conn_free(struct conn *conn)
{
	unlink_waiting(conn);
	if (conn->partner != NULL)
		conn->partner->partner = NULL;
	bufferevent_free(conn->bev);
	if (conn->wslay != NULL)
		wslay_event_context_free(conn->wslay);
	free(conn);
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user_data)
{
	(void)flags;
	struct conn *conn = user_data;
	int n = evbuffer_remove(bufferevent_get_input(conn->bev), buf, len);
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	return n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user_data)
{
	(void)flags;
	struct conn *conn = user_data;
	if (evbuffer_add(bufferevent_get_output(conn->bev), data, len) != 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static void message_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                       void *user_data)
{
	(void)ctx;
	struct conn *conn = user_data;
	struct conn *partner = conn->partner;
	if (arg->opcode != WSLAY_TEXT_FRAME || partner == NULL)
		return;
	struct wslay_event_msg message = {
	    .opcode = WSLAY_TEXT_FRAME,
	    .msg = arg->msg,
	    .msg_length = arg->msg_length,
	};
	wslay_event_queue_msg(partner->wslay, &message); /* a closing partner refuses: drop */
}

static const struct wslay_event_callbacks wslay_callbacks = {
    .recv_callback = recv_cb,
    .send_callback = send_cb,
    .on_msg_recv_callback = message_cb,
};

/* Writes what wslay has queued; frees the connection if writing failed, or
 * once both close frames are through and written. Returns 0 if it is still
 * alive. */
static int flush(struct conn *conn)
{
	if (conn->closing)
		return 0;
	if (wslay_event_send(conn->wslay) != 0) {
		conn_free(conn);
		return -1;
	}
	if (!wslay_event_want_read(conn->wslay) && !wslay_event_want_write(conn->wslay)) {
		if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0) {
			conn_free(conn);
			return -1;
		}
		conn->closing = 1; /* write_cb frees it */
	}
	return 0;
}

/* Copies the room named in "GET /pair?room=R HTTP/1.1" into conn->room. */
static void read_room(struct conn *conn, const char *head)
{
	static const char prefix[] = "GET /pair?room=";
	if (strncmp(head, prefix, sizeof(prefix) - 1) != 0)
		return;
	const char *room = head + sizeof(prefix) - 1;
	size_t length = strcspn(room, " &\r\n");
	if (length == 0 || length >= sizeof(conn->room))
		return;
	memcpy(conn->room, room, length);
	conn->room[length] = '\0';
}

static void pair(struct conn *conn)
{
	if (conn->room[0] == '\0')
		return;
	for (struct conn *other = conn->owner->waiting; other != NULL; other = other->next_waiting)
		if (strcmp(other->room, conn->room) == 0) {
			unlink_waiting(other);
			other->partner = conn;
			conn->partner = other;
			return;
		}
	conn->next_waiting = conn->owner->waiting;
	conn->owner->waiting = conn;
}

/* Finds header name's value in head (NUL-terminated) into value. */
static int find_header(const char *head, const char *name, char *value, size_t size)
{
	size_t name_length = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
		line += 2;
		if (strncasecmp(line, name, name_length) != 0 || line[name_length] != ':')
			continue;
		const char *v = line + name_length + 1;
		v += strspn(v, " \t");
		size_t length = strcspn(v, " \t\r\n");
		if (length >= size)
			return -1;
		memcpy(value, v, length);
		value[length] = '\0';
		return 0;
	}
	return -1;
}

/* Answers the upgrade request once its head is complete. Returns 0 if the
 * connection is open (or still waiting for the head), -1 if it was freed. */
static int handshake(struct conn *conn)
{
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	struct evbuffer_ptr end = evbuffer_search(input, "\r\n\r\n", 4, NULL);
	if (end.pos < 0) {
		if (evbuffer_get_length(input) > BENCH_HANDSHAKE_HEAD_MAX) {
			conn_free(conn);
			return -1;
		}
		return 0;
	}
	size_t head_length = (size_t)end.pos + 4;
	char head[BENCH_HANDSHAKE_HEAD_MAX + 1];
	char key[64];
	char accept[BENCH_HANDSHAKE_ACCEPT_SIZE];
	if (head_length > BENCH_HANDSHAKE_HEAD_MAX ||
	    evbuffer_remove(input, head, head_length) != (int)head_length) {
		conn_free(conn);
		return -1;
	}
	head[head_length] = '\0';
	if (find_header(head, "Sec-WebSocket-Key", key, sizeof(key)) != 0 ||
	    bench_handshake_accept(key, accept) != 0 ||
	    wslay_event_context_server_init(&conn->wslay, &wslay_callbacks, conn) != 0) {
		static const char refusal[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
		                              "Content-Length: 0\r\n\r\n";
		bufferevent_write(conn->bev, refusal, sizeof(refusal) - 1);
		conn_free(conn); /* loopback benchmark peer: no need to linger */
		return -1;
	}
	wslay_event_config_set_max_recv_msg_length(conn->wslay, MAX_MESSAGE);
	char response[256];
	int length = snprintf(response, sizeof(response),
	                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
	                      accept);
	bufferevent_write(conn->bev, response, (size_t)length);
	conn->state = CONN_OPEN;
	read_room(conn, head);
	pair(conn);
	static const char open_message[] = "{\"type\":\"open\"}";
	struct wslay_event_msg message = {
	    .opcode = WSLAY_TEXT_FRAME,
	    .msg = (const uint8_t *)open_message,
	    .msg_length = sizeof(open_message) - 1,
	};
	wslay_event_queue_msg(conn->wslay, &message);
	return flush(conn);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct conn *conn = arg;
	if (conn->state == CONN_HANDSHAKE && (handshake(conn) != 0 || conn->state != CONN_OPEN))
		return;
	if (conn->closing) {
		evbuffer_drain(bufferevent_get_input(conn->bev),
		               evbuffer_get_length(bufferevent_get_input(conn->bev)));
		return;
	}
	if (evbuffer_get_length(bufferevent_get_input(conn->bev)) == 0)
		return;
	if (wslay_event_recv(conn->wslay) != 0) {
		conn_free(conn);
		return;
	}
	struct conn *partner = conn->partner; /* messages went there: send them now */
	flush(conn);
	if (partner != NULL)
		flush(partner);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct conn *conn = arg;
	if (conn->closing)
		conn_free(conn);
}

static void event_cb(struct bufferevent *bev, short events, void *arg)
{
	(void)bev;
	if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

static void accept_cb(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *address,
                      int address_length, void *arg)
{
	(void)listener;
	(void)address;
	(void)address_length;
	struct forwarder *forwarder = arg;
	struct conn *conn = calloc(1, sizeof(*conn));
	struct bufferevent *bev =
	    conn == NULL ? NULL
	                 : bufferevent_socket_new(forwarder->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		free(conn);
		evutil_closesocket(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn->bev = bev;
	conn->owner = forwarder;
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, conn);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		conn_free(conn);
}

int main(int argc, char **argv)
{
	char *end = NULL;
	long port = argc == 2 ? strtol(argv[1], &end, 10) : 0;
	if (argc != 2 || *end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "usage: icegate-forwarder PORT (listens on 127.0.0.1)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct forwarder forwarder = {.base = event_base_new()};
	struct sockaddr_in address = {
	    .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct evconnlistener *listener =
	    forwarder.base == NULL
	        ? NULL
	        : evconnlistener_new_bind(
	              forwarder.base, accept_cb, &forwarder,
	              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	              LISTEN_BACKLOG, (struct sockaddr *)&address, sizeof(address));
	if (listener == NULL) {
		fprintf(stderr, "icegate-forwarder: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}
	event_base_dispatch(forwarder.base);
	evconnlistener_free(listener);
	event_base_free(forwarder.base);
	return 0;
}
