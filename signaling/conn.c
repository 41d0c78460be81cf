/*
 * conn.c: the life of one TCP connection: accept (telling TLS from plain
 * HTTP on a TLS port), read requests with deadlines, dispatch them, upgrade to
 * WebSocket, and close without losing the last bytes we sent.
 */
#include "signaling/conn.h"

#include "common/log.h"
#include "http/http_response.h"
#include "signaling/routes.h"
#include "signaling/server.h"
#include "signaling/session.h"
#include "tls/tls_bufferevent.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A request head must arrive within this long of its first byte. */
#define REQUEST_HEAD_SECONDS 10
/* An idle keep-alive connection is closed after this long. */
#define KEEP_ALIVE_IDLE_SECONDS 30
/* After our last bytes, how long we keep reading (and discarding). */
#define LINGER_SECONDS 2

static void arm_timer(struct conn *conn, int seconds)
{
	struct timeval delay = {seconds, 0};
	evtimer_add(conn->timer, &delay);
}

static void count_address(struct server *server, const char *address, int delta)
{
	uintptr_t count = (uintptr_t)hmap_get(&server->connections_by_address, address);
	count += (uintptr_t)delta;
	if (count == 0)
		hmap_remove(&server->connections_by_address, address);
	else if (hmap_put(&server->connections_by_address, address, (void *)count) != 0)
		log_warn("out of memory counting connections");
}

void conn_drop_request(struct conn *conn)
{
	if (conn->request) {
		http_request_reset(conn->request);
		free(conn->request);
		conn->request = NULL;
	}
	if (conn->timer) {
		event_free(conn->timer);
		conn->timer = NULL;
	}
}

void conn_free(struct conn *conn)
{
	if (conn->session)
		session_free(conn->session);
	if (conn->pending_owner)
		*conn->pending_owner = NULL;
	conn_drop_request(conn);
	if (conn->timer)
		event_free(conn->timer);
	if (conn->first_byte_event)
		event_free(conn->first_byte_event);
	if (conn->bev)
		bufferevent_free(conn->bev);
	else if (conn->fd >= 0)
		evutil_closesocket(conn->fd);
	count_address(conn->server, conn->address, -1);
	conn->server->connection_count--;
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		conn->server->connections = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	free(conn);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg);

static void shut_write_side(struct conn *conn)
{
	if (conn->write_shut)
		return;
	conn->write_shut = 1;
	tls_bufferevent_close_notify(conn->bev);
	shutdown(bufferevent_getfd(conn->bev), SHUT_WR);
	arm_timer(conn, LINGER_SECONDS);
}

void conn_close_after_flush(struct conn *conn)
{
	if (conn->mode == CONN_CLOSING)
		return;
	if (conn->mode == CONN_SNIFFING) {
		conn_free(conn); /* nothing was sent, nothing to flush */
		return;
	}
	/* An upgraded connection gave its timer up; without one, nothing
	 * would bound the linger, so out of memory it closes at once. */
	if (!conn->timer && !(conn->timer = evtimer_new(conn->server->base, timer_cb, conn))) {
		conn_free(conn);
		return;
	}
	conn->mode = CONN_CLOSING;
	if (conn->session) {
		session_free(conn->session);
		conn->session = NULL;
	}
	/* Keep reading so the kernel does not answer the client with a reset;
	 * read_cb discards what arrives. */
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
		shut_write_side(conn);
	else
		arm_timer(conn, LINGER_SECONDS * 5); /* bound a client that never reads */
}

static void continue_requests(struct conn *conn);

static void finish_response(struct conn *conn, int keep_alive)
{
	conn->awaiting_response = 0;
	conn->pending_owner = NULL;
	http_request_reset(conn->request);
	if (!keep_alive || conn->server->shutting_down) {
		conn_close_after_flush(conn);
		return;
	}
	arm_timer(conn, KEEP_ALIVE_IDLE_SECONDS);
	bufferevent_enable(conn->bev, EV_READ);
}

void conn_reply(struct conn *conn, int status, const char *content_type, const char *extra_headers,
                const void *body, size_t length)
{
	int keep_alive = conn->request->keep_alive && status < 500 && !conn->server->shutting_down;
	http_respond(bufferevent_get_output(conn->bev), status, content_type, extra_headers, body,
	             length, keep_alive);
	metrics_count_http_status(&conn->server->metrics, status);
	int was_async = conn->awaiting_response;
	finish_response(conn, keep_alive);
	/* A reply from a worker's callback must restart reading ourselves;
	 * a synchronous one returns into continue_requests' loop. */
	if (was_async && conn->mode == CONN_HTTP)
		continue_requests(conn);
}

void conn_reply_json(struct conn *conn, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		conn_reply_error(conn, 500, "server_error", "out of memory");
		return;
	}
	conn_reply(conn, status, "application/json", "", text, strlen(text));
	free(text);
}

void conn_reply_error(struct conn *conn, int status, const char *error, const char *description)
{
	int keep_alive = conn->request->keep_alive && status < 500 && !conn->server->shutting_down;
	http_respond_error(bufferevent_get_output(conn->bev), status, error, description, "",
	                   keep_alive);
	metrics_count_http_status(&conn->server->metrics, status);
	int was_async = conn->awaiting_response;
	finish_response(conn, keep_alive);
	if (was_async && conn->mode == CONN_HTTP)
		continue_requests(conn);
}

void conn_reply_later(struct conn *conn, void **owner)
{
	conn->awaiting_response = 1;
	conn->pending_owner = owner;
	bufferevent_disable(conn->bev, EV_READ);
}

/* Reads and answers requests until the input runs dry or one is deferred. */
static void continue_requests(struct conn *conn)
{
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	while (conn->mode == CONN_HTTP && !conn->awaiting_response) {
		if (evbuffer_get_length(input) == 0)
			return;
		int status = 400;
		const char *reason = "bad request";
		enum http_parse_result result =
		    http_request_parse(input, conn->request, &status, &reason);
		if (result == HTTP_PARSE_INCOMPLETE) {
			/* The first bytes of a request start its deadline, which
			 * later bytes do not extend: trickling (slowloris) loses. */
			if (!conn->head_deadline_armed) {
				conn->head_deadline_armed = 1;
				arm_timer(conn, REQUEST_HEAD_SECONDS);
			}
			return;
		}
		if (result == HTTP_PARSE_ERROR) {
			conn->request->keep_alive = 0;
			conn_reply_error(conn, status, "invalid_request", reason);
			return;
		}
		conn->head_deadline_armed = 0;
		evtimer_del(conn->timer);
		routes_dispatch(conn->server, conn);
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *conn = arg;
	switch (conn->mode) {
	case CONN_HTTP:
		continue_requests(conn);
		break;
	case CONN_WEBSOCKET:
		session_on_readable(conn->session);
		break;
	case CONN_CLOSING:
		evbuffer_drain(bufferevent_get_input(bev),
		               evbuffer_get_length(bufferevent_get_input(bev)));
		break;
	case CONN_SNIFFING:
		break; /* no bev yet */
	}
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *conn = arg;
	if (conn->mode == CONN_CLOSING)
		shut_write_side(conn);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *conn = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* Failed handshakes are mostly scanners: not worth more than debug. */
		if ((what & BEV_EVENT_ERROR) && conn->tls) {
			char reason[128];
			tls_bufferevent_last_error(bev, reason, sizeof(reason));
			log_debug("TLS connection from %s ended: %s", conn->address, reason);
		}
		conn_free(conn);
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;
	if (conn->mode == CONN_CLOSING || conn->mode == CONN_SNIFFING) {
		conn_free(conn);
		return;
	}
	if (conn->mode == CONN_HTTP && !conn->awaiting_response) {
		/* A trickled head (slowloris) or an idle keep-alive connection. */
		if (conn->head_deadline_armed) {
			conn->request->keep_alive = 0;
			conn_reply_error(conn, 408, "request_timeout",
			                 "request head not received in time");
		} else {
			conn_free(conn);
		}
	}
}

static int format_address(const struct sockaddr *address, char out[CONN_ADDRESS_MAX])
{
	if (address->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
		return inet_ntop(AF_INET, &v4->sin_addr, out, CONN_ADDRESS_MAX) ? 0 : -1;
	}
	if (address->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
		if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
			return inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], out, CONN_ADDRESS_MAX)
			           ? 0
			           : -1;
		return inet_ntop(AF_INET6, &v6->sin6_addr, out, CONN_ADDRESS_MAX) ? 0 : -1;
	}
	return -1;
}

/* A connection whose bufferevent exists starts reading requests, unless its
 * address already holds too many connections. */
static void start_http(struct conn *conn)
{
	struct server *server = conn->server;
	conn->mode = CONN_HTTP;
	bufferevent_setcb(conn->bev, read_cb, write_cb, event_cb, conn);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);

	uintptr_t from_address =
	    (uintptr_t)hmap_get(&server->connections_by_address, conn->address);
	if (from_address > (uintptr_t)server->cfg->max_connections_per_address) {
		log_warn("refusing connection from %s: %lu open from that address", conn->address,
		         (unsigned long)from_address - 1);
		http_respond_error(bufferevent_get_output(conn->bev), 429, "too_many_connections",
		                   "too many connections from this address", "Retry-After: 10\r\n",
		                   0);
		metrics_count_http_status(&server->metrics, 429);
		conn_close_after_flush(conn);
	}
}

/* A plain HTTP client on the TLS port (http:// or ws:// instead of https://
 * or wss://) gets a plain-text answer it can show, instead of TLS garbage or
 * silence (nginx answers the same mistake with its status 497). */
static void refuse_plain_http(struct conn *conn)
{
	static const char body[] = "this port speaks HTTPS; use https:// or wss://\n";
	conn->bev = bufferevent_socket_new(conn->server->base, conn->fd, BEV_OPT_CLOSE_ON_FREE);
	if (!conn->bev) {
		conn_free(conn);
		return;
	}
	log_debug("plain HTTP from %s on the TLS port: refused", conn->address);
	conn->mode = CONN_HTTP;
	bufferevent_setcb(conn->bev, read_cb, write_cb, event_cb, conn);
	http_respond(bufferevent_get_output(conn->bev), 400, "text/plain; charset=utf-8", "", body,
	             sizeof(body) - 1, 0);
	metrics_count_http_status(&conn->server->metrics, 400);
	conn_close_after_flush(conn);
}

static void first_byte_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;
	enum tls_first_byte first = tls_peek_first_byte(fd);
	if (first == TLS_FIRST_BYTE_PENDING) {
		event_add(conn->first_byte_event, NULL);
		return;
	}
	event_free(conn->first_byte_event);
	conn->first_byte_event = NULL;
	if (first == TLS_FIRST_BYTE_CLOSED) {
		conn_free(conn);
		return;
	}
	if (first == TLS_FIRST_BYTE_OTHER) {
		refuse_plain_http(conn);
		return;
	}
	conn->bev = tls_bufferevent_accept(conn->server->base, fd, &conn->server->tls);
	if (!conn->bev) {
		conn->fd = -1; /* closed or lost by the failed accept */
		log_warn("cannot start TLS for %s: out of memory", conn->address);
		conn_free(conn);
		return;
	}
	conn->tls = 1;
	start_http(conn);
}

void conn_accept(struct server *server, evutil_socket_t fd, const struct sockaddr *address,
                 enum conn_listener listener)
{
	struct conn *conn = calloc(1, sizeof(*conn));
	if (!conn || format_address(address, conn->address) != 0) {
		free(conn);
		evutil_closesocket(fd);
		return;
	}
	conn->server = server;
	conn->listener = listener;
	conn->fd = fd;
	/* Signaling messages are small and each one is awaited: without this,
	 * Nagle holds a relayed message until the peer's next packet carries the
	 * ACK, which at light load is one send interval of the client (a p99 of
	 * 31 ms in the relay benchmark, against 1 ms with it). Not a TCP socket
	 * (a socket pair in tests): nothing to change. */
	int no_delay = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &no_delay, sizeof(no_delay));
	conn->request = malloc(sizeof(*conn->request));
	if (!conn->request) {
		free(conn);
		evutil_closesocket(fd);
		return;
	}
	http_request_init(conn->request);
	conn->timer = evtimer_new(server->base, timer_cb, conn);
	server->connection_count++;
	count_address(server, conn->address, +1);
	conn->next = server->connections;
	if (conn->next)
		conn->next->prev = conn;
	server->connections = conn;
	if (!conn->timer) {
		conn_free(conn); /* closes fd */
		return;
	}
	/* A new connection gets as long for its first request (TLS handshake
	 * included) as a head gets. */
	arm_timer(conn, REQUEST_HEAD_SECONDS);

	if (listener == CONN_LISTENER_SIGNALING && server->tls.current) {
		conn->mode = CONN_SNIFFING;
		conn->first_byte_event = event_new(server->base, fd, EV_READ, first_byte_cb, conn);
		if (!conn->first_byte_event || event_add(conn->first_byte_event, NULL) != 0)
			conn_free(conn);
		return;
	}
	conn->bev = bufferevent_socket_new(server->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!conn->bev) {
		conn_free(conn);
		return;
	}
	start_http(conn);
}
