/*
 * ice_servers.c: minting TURN credentials into RTCIceServer lists, keeping
 * coturn's turn_secret rows in step with the current window, and writing the
 * credential audit in batches.
 *
 * The window check sits in front of every mint: the first credential of a new
 * window syncs turn_secret before it is handed out, so coturn never sees a
 * password made with a secret it does not have yet. A periodic timer repeats
 * the sync in case something else (icegatectl secret rotate) changed it.
 */
#include "signaling/ice_servers.h"

#include "common/log.h"
#include "db/store.h"
#include "signaling/server.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUDIT_FLUSH_SECONDS 1
#define AUDIT_QUEUE_MAX     100000 /* records kept while the database refuses writes */
#define SECRET_SYNC_SECONDS 60

static const char *turn_host(const struct server *server)
{
	const struct config *cfg = server->cfg;
	return cfg->turn_host[0] ? cfg->turn_host : cfg->domain;
}

static json_t *url(const char *scheme, const char *host, int port, const char *transport)
{
	/* An IPv6 literal needs brackets before the port. */
	int literal_v6 = strchr(host, ':') != NULL;
	char text[CONFIG_TEXT_MAX + 64];
	snprintf(text, sizeof(text), "%s:%s%s%s:%d%s%s", scheme, literal_v6 ? "[" : "", host,
	         literal_v6 ? "]" : "", port, transport ? "?transport=" : "",
	         transport ? transport : "");
	return json_string(text);
}

json_t *ice_servers_urls(const struct server *server, int include_stun)
{
	const struct config *cfg = server->cfg;
	const char *host = turn_host(server);
	json_t *urls = json_array();
	if (include_stun)
		json_array_append_new(urls, url("stun", host, cfg->turn_port, NULL));
	json_array_append_new(urls, url("turn", host, cfg->turn_port, "udp"));
	json_array_append_new(urls, url("turn", host, cfg->turn_port, "tcp"));
	if (cfg->turn_tls)
		json_array_append_new(urls, url("turns", host, cfg->turns_port, "tcp"));
	return urls;
}

/* Syncs turn_secret when the window changed since the last sync. */
static int ensure_secrets_current(struct server *server, int64_t now)
{
	const struct config *cfg = server->cfg;
	int64_t window = turncred_window(now, cfg->turn_secret_window);
	if (window == server->turn_synced_window)
		return 0;
	if (turncred_sync_secrets(server->store, &server->keyring, cfg->realm,
	                          cfg->turn_secret_window, now) != 0) {
		log_error("writing TURN secrets: %s", store_error(server->store));
		return -1;
	}
	server->turn_synced_window = window;
	return 0;
}

static void queue_audit(struct server *server, const char *subject, const struct turncred *cred,
                        int64_t now)
{
	struct turn_audit_queue *queue = &server->turn_audit;
	if (queue->count == queue->capacity) {
		size_t capacity = queue->capacity ? queue->capacity * 2 : 64;
		if (capacity > AUDIT_QUEUE_MAX) {
			log_warn(
			    "TURN audit queue full (database refusing writes): record dropped");
			return;
		}
		struct store_turn_audit *grown =
		    realloc(queue->records, capacity * sizeof(*queue->records));
		if (!grown)
			return;
		queue->records = grown;
		queue->capacity = capacity;
	}
	struct store_turn_audit *record = &queue->records[queue->count++];
	snprintf(record->subject, sizeof(record->subject), "%s", subject);
	snprintf(record->username, sizeof(record->username), "%s", cred->username);
	record->issued_at = now;
	record->expires_at = cred->expires_at;
}

static int mint(struct server *server, const char *subject, struct turncred *cred)
{
	const struct config *cfg = server->cfg;
	int64_t now = server_now(server);
	if (ensure_secrets_current(server, now) != 0)
		return -1;
	if (turncred_mint(&server->keyring, cfg->realm, cfg->turn_secret_window,
	                  cfg->turn_credential_ttl, subject, now, cred) != 0)
		return -1;
	queue_audit(server, subject, cred, now);
	server->turn_credentials_issued++;
	return 0;
}

json_t *ice_servers_mint(struct server *server, const char *subject, int64_t *expires_at)
{
	struct turncred cred;
	if (mint(server, subject, &cred) != 0)
		return NULL;
	*expires_at = cred.expires_at;
	json_t *stun = json_pack("{s:[o]}", "urls",
	                         url("stun", turn_host(server), server->cfg->turn_port, NULL));
	json_t *turn = json_pack("{s:o, s:s, s:s}", "urls", ice_servers_urls(server, 0), "username",
	                         cred.username, "credential", cred.password);
	return json_pack("[o, o]", stun, turn);
}

json_t *ice_servers_rest_credential(struct server *server, const char *subject)
{
	struct turncred cred;
	if (mint(server, subject, &cred) != 0)
		return NULL;
	return json_pack("{s:s, s:s, s:i, s:o}", "username", cred.username, "password",
	                 cred.password, "ttl", cred.ttl, "uris", ice_servers_urls(server, 0));
}

int64_t ice_servers_push_time(int64_t issued_at, int64_t expires_at)
{
	return issued_at + (expires_at - issued_at) * 4 / 5;
}

void ice_servers_flush_audit(struct server *server)
{
	struct turn_audit_queue *queue = &server->turn_audit;
	if (queue->count == 0)
		return;
	if (store_turn_audit_insert(server->store, queue->records, queue->count) != 0) {
		/* Kept for a later flush; the queue's cap bounds the memory. A
		 * failed write may have waited the whole busy timeout on the loop,
		 * so the next try backs off (2 s doubling to 60 s) instead of
		 * stalling every client once a second while a lock is held. */
		int backoff = queue->backoff_seconds ? queue->backoff_seconds * 2 : 2;
		queue->backoff_seconds = backoff > 60 ? 60 : backoff;
		/* The wall clock, not the loop's cached one: the failed write
		 * itself may have taken seconds. */
		queue->retry_at = (int64_t)time(NULL) + queue->backoff_seconds;
		log_warn("writing %zu TURN audit records: %s (next try in %d s)", queue->count,
		         store_error(server->store), queue->backoff_seconds);
		return;
	}
	queue->count = 0;
	queue->backoff_seconds = 0;
	queue->retry_at = 0;
}

static void audit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;
	if ((int64_t)time(NULL) >= server->turn_audit.retry_at)
		ice_servers_flush_audit(server);
}

static void sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;
	int64_t now = server_now(server);
	server->turn_synced_window = -1; /* force: the table may have been changed */
	ensure_secrets_current(server, now);
	if (store_turn_audit_prune(server->store, now) < 0 ||
	    store_turn_revocations_prune(server->store, now) < 0)
		log_warn("pruning TURN records: %s", store_error(server->store));
}

int ice_servers_sync_now(struct server *server)
{
	server->turn_synced_window = -1;
	return ensure_secrets_current(server, server_now(server));
}

int ice_servers_start(struct server *server)
{
	/* icegatectl reads these to revoke far enough and to derive the same
	 * rows as this daemon. */
	char ttl[16], window[16];
	snprintf(ttl, sizeof(ttl), "%d", server->cfg->turn_credential_ttl);
	snprintf(window, sizeof(window), "%d", server->cfg->turn_secret_window);
	if (store_setting_set(server->store, STORE_TURN_TTL_SETTING, ttl) != 0 ||
	    store_setting_set(server->store, STORE_TURN_WINDOW_SETTING, window) != 0)
		return -1;
	server->turn_synced_window = -1;
	if (ensure_secrets_current(server, server_now(server)) != 0)
		return -1;
	server->turn_audit_timer = event_new(server->base, -1, EV_PERSIST, audit_cb, server);
	server->turn_sync_timer = event_new(server->base, -1, EV_PERSIST, sync_cb, server);
	struct timeval audit_every = {AUDIT_FLUSH_SECONDS, 0};
	struct timeval sync_every = {SECRET_SYNC_SECONDS, 0};
	if (!server->turn_audit_timer || !server->turn_sync_timer ||
	    event_add(server->turn_audit_timer, &audit_every) != 0 ||
	    event_add(server->turn_sync_timer, &sync_every) != 0)
		return -1;
	return 0;
}
