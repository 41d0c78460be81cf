/*
 * server.h: the daemon's one context struct and its lifecycle.
 *
 * Everything the event loop owns hangs off struct server and is passed
 * explicitly: configuration, store, signing keys, worker pool, the listener,
 * live sessions, rooms and the per-address counters. Nothing here is global.
 */
#ifndef ICEGATE_SIGNALING_SERVER_H
#define ICEGATE_SIGNALING_SERVER_H

#include "auth/login_limiter.h"
#include "auth/token.h"
#include "common/hashmap.h"
#include "config/config.h"
#include "db/store.h"
#include "metrics/metrics.h"
#include "signaling/room.h"
#include "tls/tls_context.h"

#include <stdint.h>

struct event;
struct conn;
struct event_base;
struct evconnlistener;
struct control;
struct store;
struct workers;

/* Issued TURN credentials waiting for the next audit batch. */
struct turn_audit_queue {
	struct store_turn_audit *records; /* owned array */
	size_t count, capacity;
	int backoff_seconds; /* after a failed flush; 0 when the last one worked */
	int64_t retry_at;    /* no flush before this time (unix seconds) */
};

/* Rebuilds the configuration from the sources it was first built from
 * (defaults, file, flags), for a reload. Returns 0, or -1 with err filled
 * (for a bad file: the file, the line and the key). */
typedef int (*server_config_loader)(void *arg, struct config *out, char *err, size_t err_size);

struct server {
	const struct config *cfg;         /* what everyone reads: &config */
	struct config config;             /* owned copy of main's; see reload.h */
	server_config_loader load_config; /* set by main; NULL = reload the certificate only */
	void *load_config_arg;            /* passed to load_config */
	struct tls_context tls;           /* the signaling port's; tls.current NULL = HTTP */
	struct event_base *base;          /* owned */
	struct store *store;              /* borrowed from main; loop thread only */
	struct token_keyring keyring;     /* signing and verifying keys */
	struct workers *workers;          /* owned */
	struct evconnlistener *listener;  /* owned; NULL once shutting down */
	struct evconnlistener *metrics_listener; /* owned; NULL without metrics_listen */
	struct control *control;                 /* owned; NULL with control_socket = off */
	int64_t started_at_ms;                   /* wall clock at server_init */

	struct hmap sessions_by_id;         /* peer id -> struct session (owned by its conn) */
	struct hmap connections_by_address; /* address -> count, stored in the pointer */
	struct room_registry rooms;
	struct login_limiter login_limiter;
	struct metrics metrics; /* counters for GET /metrics; loop thread only */

	struct turn_audit_queue turn_audit;
	int64_t turn_synced_window;       /* window turn_secret was last synced for; -1 = force */
	uint64_t turn_credentials_issued; /* since start */
	struct event *turn_audit_timer;   /* owned; flushes turn_audit */
	struct event *turn_sync_timer;    /* owned; re-syncs turn_secret, prunes TURN records */

	int64_t user_event_seq;          /* last user event applied */
	struct event *user_poll_timer;   /* owned; picks up icegatectl changes */
	struct event *maintenance_timer; /* owned; prunes tokens and limiter windows */
	struct event *signal_events[3];  /* owned; SIGTERM, SIGINT, SIGHUP */
	struct event *shutdown_timer;    /* owned; polls for drained connections */
	int64_t shutdown_deadline_ms;    /* leave the loop by then regardless */
	int shutting_down;

	struct conn *connections; /* every open connection (owned), newest first */
	size_t connection_count;  /* length of connections */
};

/* Builds the server around a copy of cfg, an open store and a loaded keyring,
 * loads the TLS certificate when cert is set, binds the listeners. Returns 0,
 * or -1 with err filled (a bad certificate or key names its file). */
int server_init(struct server *server, const struct config *cfg, struct store *store,
                const struct token_keyring *keyring, char *err, size_t err_size);
/* Runs the loop until a shutdown completes. */
int server_run(struct server *server);
/* Frees what server_init built. */
void server_free(struct server *server);

/* Starts a graceful shutdown: stop accepting, close sessions with 1001,
 * wait (bounded) for output to drain, then leave the loop. */
void server_shutdown(struct server *server);

/* Milliseconds of wall-clock time. */
int64_t server_now_ms(const struct server *server);
/* Seconds of wall-clock time. */
int64_t server_now(const struct server *server);

#endif
