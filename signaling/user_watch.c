/*
 * user_watch.c: the poll timer behind user_watch.h.
 */
#include "signaling/user_watch.h"

#include "common/log.h"
#include "db/store.h"
#include "http/ws.h"
#include "signaling/server.h"
#include "signaling/session.h"

#include <event2/event.h>
#include <string.h>

struct closing_pass {
	const char *subject;
	int closed;
};

static void close_if_subject(const char *id, void *value, void *arg)
{
	struct session *session = value;
	struct closing_pass *pass = arg;
	if (session->authenticated && strcmp(session->claims.subject, pass->subject) == 0) {
		/* Closing is deferred by session_close, so the map is not
		 * changed under hmap_foreach. */
		session_close(session, WS_CLOSE_FORBIDDEN, "account disabled");
		pass->closed++;
	}
}

static void apply_event(const char *name, enum store_user_event kind, void *arg)
{
	struct server *server = arg;
	if (kind != STORE_USER_DELETED && kind != STORE_USER_DISABLED)
		return;
	struct closing_pass pass = {name, 0};
	hmap_foreach(&server->sessions_by_id, close_if_subject, &pass);
	log_info("user '%s' %s: closed %d session(s)", name,
	         kind == STORE_USER_DELETED ? "deleted" : "disabled", pass.closed);
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
