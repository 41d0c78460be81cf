/*
 * conn.h: one accepted TCP connection, from its first HTTP byte to its close.
 *
 * A connection reads HTTP requests one at a time (pipelined ones wait in the
 * input buffer), hands each to the routes, and may be upgraded to a WebSocket,
 * after which its session owns the traffic. Every close goes through
 * conn_close_after_flush: the last response or close frame is flushed, the
 * write side is shut, and what the client still sends is read and discarded
 * for a moment, so the client reads our last words instead of a reset.
 *
 * On the signaling port with TLS on, a connection first waits for its first
 * byte: a TLS handshake gets an OpenSSL bufferevent and then lives as above;
 * anything else is a plain HTTP client on the wrong scheme and gets a plain
 * 400 saying so. Over TLS the close also sends close_notify.
 */
#ifndef ICEGATE_SIGNALING_CONN_H
#define ICEGATE_SIGNALING_CONN_H

#include "http/http_request.h"

#include <event2/util.h>
#include <jansson.h>

struct bufferevent;
struct event;
struct server;
struct session;
struct sockaddr;

#define CONN_ADDRESS_MAX 46 /* INET6_ADDRSTRLEN */

/* Which listener accepted the connection: the routes it may reach differ. */
enum conn_listener {
	CONN_LISTENER_SIGNALING, /* the public port: pages, REST, WebSocket */
	CONN_LISTENER_METRICS,   /* metrics_listen: /metrics, /healthz, /readyz only */
};

enum conn_mode {
	CONN_HTTP,      /* reading requests */
	CONN_WEBSOCKET, /* upgraded; the session reads */
	CONN_CLOSING,   /* flushing, then lingering; input is discarded */
	CONN_SNIFFING,  /* TLS port: waiting for the first byte; no bev yet */
};

struct conn {
	struct conn *next, *prev;       /* in server->connections */
	struct server *server;          /* borrowed */
	struct bufferevent *bev;        /* owned; NULL while sniffing */
	evutil_socket_t fd;             /* the socket: owned here until bev exists, then by bev */
	struct event *first_byte_event; /* owned while sniffing: the socket turned readable */
	int tls;                        /* bev speaks TLS */
	char address[CONN_ADDRESS_MAX]; /* client IP as text; key of the per-address count */
	enum conn_listener listener;
	enum conn_mode mode;
	struct http_request *request; /* owned in CONN_HTTP mode: the request being read or
	                               * answered; NULL once upgraded (conn_drop_request) */
	int awaiting_response;        /* a worker job will answer; reading is paused */
	void **pending_owner;         /* where that job keeps its pointer to us (cleared on free) */
	struct event *timer;          /* owned: request deadline, then linger deadline;
	                               * NULL while upgraded, made again for the close */
	int head_deadline_armed;      /* the current request's head deadline is running */
	int write_shut;               /* shutdown(SHUT_WR) done */
	struct session *session;      /* owned in CONN_WEBSOCKET mode */
};

/* Takes an accepted socket. Closes it on failure. */
void conn_accept(struct server *server, evutil_socket_t fd, const struct sockaddr *address,
                 enum conn_listener listener);

/* Flush what is queued, then close (see above). Safe to call twice. */
void conn_close_after_flush(struct conn *conn);
/* Close now, without flushing. */
void conn_free(struct conn *conn);
/* Frees the HTTP request state and its timer, for a connection that is
 * upgraded: the session keeps its own timers. */
void conn_drop_request(struct conn *conn);

/* ---- answering the current HTTP request ---- */
/* These write the response and then continue with the next request, or close
 * when the request or status asks for it. */
void conn_reply(struct conn *conn, int status, const char *content_type, const char *extra_headers,
                const void *body, size_t length);
/* body is stolen (json_decref'd after writing). */
void conn_reply_json(struct conn *conn, int status, json_t *body);
void conn_reply_error(struct conn *conn, int status, const char *error, const char *description);
/* Marks the request as answered later by a worker job that holds *owner. */
void conn_reply_later(struct conn *conn, void **owner);

#endif
