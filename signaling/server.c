/*
 * server.c: builds the daemon's context (event base, TLS certificate,
 * listener, worker pool, timers, signal handlers), runs the loop, reloads on
 * SIGHUP, and shuts down gracefully: stop accepting, close every session with
 * 1001 so clients reconnect elsewhere, let the last bytes drain, and leave
 * within a bounded time.
 */
#include "signaling/server.h"

#include "common/log.h"
#include "db/store.h"
#include "http/ws.h"
#include "signaling/conn.h"
#include "signaling/control.h"
#include "signaling/ice_servers.h"
#include "signaling/reload.h"
#include "signaling/session.h"
#include "signaling/user_watch.h"
#include "signaling/workers.h"

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <openssl/crypto.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAINTENANCE_SECONDS 60
#define SHUTDOWN_GRACE_MS   5000
#define LISTEN_BACKLOG      4096

int64_t server_now_ms(const struct server *server)
{
	/* The real clock, not libevent's cached one: the cache is as old as the
	 * loop iteration, which a slow database call can stretch past a second,
	 * and token expiry and credential lifetimes are counted in seconds. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int64_t server_now(const struct server *server)
{
	return server_now_ms(server) / 1000;
}

static void accept_signaling_cb(struct evconnlistener *listener, evutil_socket_t fd,
                                struct sockaddr *address, int length, void *arg)
{
	conn_accept(arg, fd, address, CONN_LISTENER_SIGNALING);
}

static void accept_metrics_cb(struct evconnlistener *listener, evutil_socket_t fd,
                              struct sockaddr *address, int length, void *arg)
{
	conn_accept(arg, fd, address, CONN_LISTENER_METRICS);
}

static void accept_error_cb(struct evconnlistener *listener, void *arg)
{
	/* EMFILE and friends: keep serving who is connected; libevent retries. */
	log_warn("accept failed: %s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* Binds host:port ("" host = every address) for one kind of listener. */
static struct evconnlistener *bind_listener(struct server *server, const char *host_text, int port,
                                            evconnlistener_cb accept, char *err, size_t err_size)
{
	char port_text[8];
	snprintf(port_text, sizeof(port_text), "%d", port);
	struct addrinfo hints = {0}, *found = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	const char *host = host_text[0] ? host_text : NULL;
	int rc = getaddrinfo(host, port_text, &hints, &found);
	if (rc != 0) {
		snprintf(err, err_size, "cannot resolve listen address '%s': %s", host ? host : "*",
		         gai_strerror(rc));
		return NULL;
	}
	/* Without a host, prefer the IPv6 wildcard, which also takes IPv4. */
	struct addrinfo *chosen = found;
	for (struct addrinfo *ai = found; !host && ai; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6)
			chosen = ai;
	struct evconnlistener *listener = evconnlistener_new_bind(
	    server->base, accept, server,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, LISTEN_BACKLOG,
	    chosen->ai_addr, (int)chosen->ai_addrlen);
	if (!listener)
		snprintf(err, err_size, "cannot listen on %s:%d: %s", host ? host : "*", port,
		         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else
		evconnlistener_set_error_cb(listener, accept_error_cb);
	freeaddrinfo(found);
	return listener;
}

/* The signaling port, and the metrics port when metrics_listen is set. */
static int bind_listeners(struct server *server, char *err, size_t err_size)
{
	const struct config *cfg = server->cfg;
	server->listener =
	    bind_listener(server, cfg->listen_host, cfg->port, accept_signaling_cb, err, err_size);
	if (!server->listener)
		return -1;
	if (!cfg->metrics_listen[0])
		return 0;
	char host[CONFIG_TEXT_MAX];
	int port;
	if (config_parse_listen(cfg->metrics_listen, host, &port, err, err_size) != 0)
		return -1;
	server->metrics_listener =
	    bind_listener(server, host, port, accept_metrics_cb, err, err_size);
	return server->metrics_listener ? 0 : -1;
}

static void maintenance_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;
	int64_t now = server_now(server);
	login_limiter_prune(&server->login_limiter, now);
	int pruned = store_refresh_prune(server->store, now);
	if (pruned < 0)
		log_warn("pruning expired refresh tokens: %s", store_error(server->store));
}

static void reload_signal_cb(evutil_socket_t signal_number, short what, void *arg)
{
	struct server *server = arg;
	if (!server->shutting_down)
		reload_configuration(server);
}

static void signal_cb(evutil_socket_t signal_number, short what, void *arg)
{
	struct server *server = arg;
	log_info("received %s: shutting down", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
	server_shutdown(server);
}

static void shutdown_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;
	int pending_jobs = server->workers ? workers_pending(server->workers) : 0;
	if ((server->connection_count == 0 && pending_jobs == 0) ||
	    server_now_ms(server) >= server->shutdown_deadline_ms)
		event_base_loopbreak(server->base);
}

void server_shutdown(struct server *server)
{
	if (server->shutting_down)
		return;
	server->shutting_down = 1;
	if (server->listener) {
		evconnlistener_free(server->listener);
		server->listener = NULL;
	}
	if (server->metrics_listener) {
		evconnlistener_free(server->metrics_listener);
		server->metrics_listener = NULL;
	}
	control_stop(server->control);
	for (struct conn *conn = server->connections; conn; conn = conn->next) {
		if (conn->mode == CONN_WEBSOCKET && conn->session)
			session_close(conn->session, WS_CLOSE_GOING_AWAY, "server shutting down");
		else if (conn->mode == CONN_HTTP && !conn->awaiting_response)
			conn->request->keep_alive = 0; /* closes after the reply in progress */
	}
	/* Idle keep-alive connections have nothing in flight: close them now.
	 * Collected first, since closing may free. */
	struct conn *conn = server->connections;
	while (conn) {
		struct conn *next = conn->next;
		if ((conn->mode == CONN_HTTP && !conn->awaiting_response && !conn->request->head) ||
		    conn->mode == CONN_SNIFFING)
			conn_close_after_flush(conn);
		conn = next;
	}
	server->shutdown_deadline_ms = server_now_ms(server) + SHUTDOWN_GRACE_MS;
	struct timeval every = {0, 50 * 1000};
	event_add(server->shutdown_timer, &every);
}

int server_init(struct server *server, const struct config *cfg, struct store *store,
                const struct token_keyring *keyring, char *err, size_t err_size)
{
	memset(server, 0, sizeof(*server));
	server->config = *cfg;
	server->cfg = &server->config;
	cfg = server->cfg;
	server->store = store;
	server->keyring = *keyring;
	server->started_at_ms = server_now_ms(server);
	hmap_init(&server->sessions_by_id);
	hmap_init(&server->connections_by_address);
	room_registry_init(&server->rooms);
	login_limiter_init(&server->login_limiter, cfg->login_attempts_per_minute);

	if (evthread_use_pthreads() != 0 || !(server->base = event_base_new())) {
		snprintf(err, err_size, "cannot create the event loop");
		return -1;
	}
	server->workers = workers_start(server->base, cfg->worker_threads);
	if (!server->workers) {
		snprintf(err, err_size, "cannot start %d worker threads", cfg->worker_threads);
		return -1;
	}
	if (cfg->cert[0]) {
		if (tls_context_load(&server->tls, cfg->cert, cfg->pkey, err, err_size) != 0)
			return -1;
		char loaded[256];
		tls_context_describe(&server->tls, loaded, sizeof(loaded));
		log_info("TLS certificate loaded from %s: %s", cfg->cert, loaded);
	}
	if (bind_listeners(server, err, err_size) != 0 || control_start(server, err, err_size) != 0)
		return -1;

	server->maintenance_timer = event_new(server->base, -1, EV_PERSIST, maintenance_cb, server);
	server->shutdown_timer = event_new(server->base, -1, EV_PERSIST, shutdown_poll_cb, server);
	server->signal_events[0] = evsignal_new(server->base, SIGTERM, signal_cb, server);
	server->signal_events[1] = evsignal_new(server->base, SIGINT, signal_cb, server);
	server->signal_events[2] = evsignal_new(server->base, SIGHUP, reload_signal_cb, server);
	struct timeval maintenance_every = {MAINTENANCE_SECONDS, 0};
	if (!server->maintenance_timer || !server->shutdown_timer || !server->signal_events[0] ||
	    !server->signal_events[1] || !server->signal_events[2] ||
	    event_add(server->maintenance_timer, &maintenance_every) != 0 ||
	    event_add(server->signal_events[0], NULL) != 0 ||
	    event_add(server->signal_events[1], NULL) != 0 ||
	    event_add(server->signal_events[2], NULL) != 0) {
		snprintf(err, err_size, "cannot set up timers and signal handlers");
		return -1;
	}
	if (ice_servers_start(server) != 0) {
		snprintf(err, err_size, "cannot set up TURN secrets: %s", store_error(store));
		return -1;
	}
	if (user_watch_start(server) != 0) {
		snprintf(err, err_size, "cannot watch for user changes: %s", store_error(store));
		return -1;
	}
	return 0;
}

int server_run(struct server *server)
{
	return event_base_dispatch(server->base) < 0 ? -1 : 0;
}

void server_free(struct server *server)
{
	control_free(server->control);
	while (server->connections)
		conn_free(server->connections);
	if (server->listener)
		evconnlistener_free(server->listener);
	if (server->metrics_listener)
		evconnlistener_free(server->metrics_listener);
	/* Jobs still queued finish and find their connections gone. */
	workers_stop(server->workers);
	if (server->store)
		ice_servers_flush_audit(server);
	free(server->turn_audit.records);
	struct event *events[] = {server->user_poll_timer,  server->maintenance_timer,
	                          server->shutdown_timer,   server->signal_events[0],
	                          server->signal_events[1], server->signal_events[2],
	                          server->turn_audit_timer, server->turn_sync_timer};
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i])
			event_free(events[i]);
	room_registry_free(&server->rooms);
	hmap_clear(&server->sessions_by_id);
	hmap_clear(&server->connections_by_address);
	login_limiter_free(&server->login_limiter);
	if (server->base)
		event_base_free(server->base);
	tls_context_free(&server->tls);
	OPENSSL_cleanse(&server->keyring, sizeof(server->keyring));
	OPENSSL_cleanse(server->config.jwt_secret, sizeof(server->config.jwt_secret));
}
