/*
 * user_watch.c: the poll timer behind user_watch.h.
 */
#include "signaling/user_watch.h"

#include "auth/secret.h"
#include "common/log.h"
#include "db/store.h"
#include "http/ws.h"
#include "signaling/ice_servers.h"
#include "signaling/server.h"
#include "signaling/session.h"

#include <event2/event.h>
#include <string.h>

struct closing_pass {
	const char *subject; /* NULL closes every session */
	int code;
	const char *reason;
	int closed;
};

static void close_if_subject(const char *id, void *value, void *arg)
{
	struct session *session = value;
	struct closing_pass *pass = arg;
	if (!pass->subject ||
	    (session->authenticated && strcmp(session->subject, pass->subject) == 0)) {
		/* Closing is deferred by session_close, so the map is not
		 * changed under hmap_foreach. */
		session_close(session, pass->code, pass->reason);
		pass->closed++;
	}
}

static int close_sessions(struct server *server, const char *subject, int code, const char *reason)
{
	struct closing_pass pass = {subject, code, reason, 0};
	hmap_foreach(&server->sessions_by_id, close_if_subject, &pass);
	return pass.closed;
}

/* icegatectl rotated the JWT secret: verify with the new ring, re-derive the
 * TURN secrets, and with --now end every session signed by the old key. */
static void reload_keys(struct server *server, const char *how)
{
	char err[256];
	int generated = 0;
	struct token_keyring ring;
	if (secret_load_keyring(server->cfg, server->store, &ring, &generated, err, sizeof(err)) !=
	    0) {
		log_error("reloading the signing keys after a rotation: %s", err);
		return;
	}
	server->keyring = ring;
	if (ice_servers_sync_now(server) != 0)
		log_error("re-deriving TURN secrets after a rotation: %s",
		          store_error(server->store));
	int closed = 0;
	if (strcmp(how, "now") == 0) {
		metrics_count_revocation(&server->metrics, METRICS_REVOCATION_SECRET_ROTATED_NOW);
		closed = close_sessions(server, NULL, WS_CLOSE_UNAUTHORIZED, "signing key rotated");
	}
	log_info("signing secret rotated%s: keys reloaded, %d session(s) closed",
	         strcmp(how, "now") == 0 ? " (old tokens end now)" : "", closed);
}

static void apply_event(const char *name, enum store_user_event kind, void *arg)
{
	struct server *server = arg;
	int closed;
	switch (kind) {
	case STORE_USER_DELETED:
	case STORE_USER_DISABLED:
		metrics_count_revocation(&server->metrics, kind == STORE_USER_DELETED
		                                               ? METRICS_REVOCATION_USER_DELETED
		                                               : METRICS_REVOCATION_USER_DISABLED);
		closed = close_sessions(server, name, WS_CLOSE_FORBIDDEN, "account disabled");
		log_info("user '%s' %s: closed %d session(s)", name,
		         kind == STORE_USER_DELETED ? "deleted" : "disabled", closed);
		break;
	case STORE_USER_TURN_REVOKED:
		metrics_count_revocation(&server->metrics, METRICS_REVOCATION_TURN_REVOKED);
		closed =
		    close_sessions(server, name, WS_CLOSE_FORBIDDEN, "TURN credentials revoked");
		log_info("TURN credentials of user '%s' revoked: closed %d session(s)", name,
		         closed);
		break;
	case STORE_SECRET_ROTATED:
		reload_keys(server, name);
		break;
	default:
		break;
	}
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;
	int changed = store_changed(server->store);
	if (changed < 0) {
		log_warn("checking for user changes: %s", store_error(server->store));
		return;
	}
	if (changed == 0)
		return;
	if (store_user_events_since(server->store, server->user_event_seq, &server->user_event_seq,
	                            apply_event, server) != 0)
		log_warn("reading user changes: %s", store_error(server->store));
}

int user_watch_start(struct server *server)
{
	if (store_user_event_latest(server->store, &server->user_event_seq) != 0)
		return -1;
	server->user_poll_timer = event_new(server->base, -1, EV_PERSIST, poll_cb, server);
	if (!server->user_poll_timer)
		return -1;
	int interval = server->cfg->user_poll_interval_ms;
	struct timeval every = {interval / 1000, (interval % 1000) * 1000};
	return event_add(server->user_poll_timer, &every);
}
