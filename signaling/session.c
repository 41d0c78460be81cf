/*
 * session.c: a signaling session's lifecycle: start, authentication and its
 * deadlines, pings and the idle check, sending with a bound on what a slow
 * client may leave queued, and a close that is safe to call from anywhere.
 * What each message type does lives in signal_handlers.c.
 */
#include "signaling/session.h"

#include "common/log.h"
#include "common/random.h"
#include "http/ws.h"
#include "signaling/conn.h"
#include "signaling/ice_servers.h"
#include "signaling/message.h"
#include "signaling/routes.h"
#include "signaling/server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

/* The most a client may leave unread before it counts as a slow consumer. */
static size_t output_limit(const struct server *server)
{
	size_t limit = 4 * server->cfg->max_message_bytes;
	return limit < 1024 * 1024 ? 1024 * 1024 : limit;
}

#define NS_PER_SECOND INT64_C(1000000000)

/* Arms the session's one timer: at once when closing (the teardown), else at
 * the earlier of the deadline and the next ping. */
static void schedule(struct session *session)
{
	int64_t at =
	    session->ping_at_ns < session->deadline_ns ? session->ping_at_ns : session->deadline_ns;
	int64_t delay_ns = session->closing ? 0 : at - metrics_now_ns();
	if (delay_ns < 0)
		delay_ns = 0;
	struct timeval delay = {(time_t)(delay_ns / NS_PER_SECOND),
	                        (suseconds_t)(delay_ns % NS_PER_SECOND / 1000)};
	evtimer_add(session->timer, &delay);
}

/* A deadline too far to count in nanoseconds is no deadline. */
static void set_deadline(struct session *session, int64_t seconds)
{
	int64_t now = metrics_now_ns();
	if (seconds < 0)
		seconds = 0;
	session->deadline_ns = seconds >= (INT64_MAX - now) / NS_PER_SECOND
	                           ? INT64_MAX
	                           : now + seconds * NS_PER_SECOND;
	schedule(session);
}

/* Leaves the room and hands the connection back for a flushed close. Runs
 * outside ws_conn_feed and outside any iteration over rooms. */
static void tear_down(struct session *session)
{
	conn_close_after_flush(session->conn); /* frees session */
}

/* Ends a session whose authentication failed or ran out, counting why. */
static void session_close_unauthenticated(struct session *session,
                                          enum metrics_auth_outcome outcome, const char *reason)
{
	metrics_count_auth(&session->server->metrics, outcome);
	session_close(session, WS_CLOSE_UNAUTHORIZED, reason);
}

/* The teardown, the deadline, or the ping and idle check. A close arms the
 * timer for the teardown, so nothing is scheduled after one. */
static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *session = arg;
	const struct config *cfg = session->server->cfg;
	if (session->closing) {
		tear_down(session);
		return;
	}
	int64_t now = metrics_now_ns();
	if (now >= session->deadline_ns) {
		if (!session->authenticated)
			session_close_unauthenticated(session, METRICS_AUTH_WEBSOCKET_TIMEOUT,
			                              "authentication timeout");
		else
			session_close_unauthenticated(session, METRICS_AUTH_WEBSOCKET_EXPIRED,
			                              "token expired");
		return;
	}
	if (now >= session->ping_at_ns) {
		session->ping_at_ns = now + (int64_t)cfg->ping_interval * NS_PER_SECOND;
		int64_t idle_ms = server_now_ms(session->server) - session->last_frame_ms;
		if (idle_ms >= (int64_t)cfg->idle_timeout * 1000) {
			session_close(session, WS_CLOSE_GOING_AWAY, "idle timeout");
			return;
		}
		ws_send_ping(session->ws);
	}
	schedule(session);
}

static void ice_push_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *session = arg;
	session->ice_push_at = 0; /* this push replaces every credential sent so far */
	json_t *servers = session_ice_servers(session);
	if (!servers)
		return;
	json_t *push = message_new("ice-servers", NULL);
	json_object_set_new(push, "iceServers", servers);
	json_object_set_new(push, "expiresAt", json_integer(session->ice_expires_at));
	session_send(session, push);
	json_decref(push);
}

json_t *session_ice_servers(struct session *session)
{
	struct server *server = session->server;
	int64_t expires_at;
	json_t *servers = ice_servers_mint(server, session->subject, &expires_at);
	if (!servers)
		return NULL;
	metrics_count_turn_credential(&server->metrics, METRICS_TURN_WEBSOCKET);
	session->ice_expires_at = expires_at;
	if (!session->ice_push_timer)
		session->ice_push_timer = evtimer_new(server->base, ice_push_cb, session);
	if (session->ice_push_timer) {
		/* Only ever earlier: the peer may still hold an older credential
		 * in a live call, and that one must be replaced before it ends. */
		int64_t now = server_now(server);
		int64_t push_at = ice_servers_push_time(now, expires_at);
		if (!session->ice_push_at || push_at < session->ice_push_at) {
			session->ice_push_at = push_at;
			struct timeval delay = {(time_t)(push_at > now ? push_at - now : 0), 0};
			evtimer_add(session->ice_push_timer, &delay);
		}
	}
	return servers;
}

void session_close(struct session *session, int code, const char *reason)
{
	if (session->closing)
		return;
	session->closing = 1;
	ws_close(session->ws, code, reason);
	if (code != WS_CLOSE_NORMAL && code != WS_CLOSE_GOING_AWAY)
		log_info("closing peer %s (%s) from %s: %d %s", session->id,
		         session->authenticated ? session->subject : "unauthenticated",
		         session->conn->address, code, reason);
	if (!session->feeding)
		schedule(session); /* the teardown, at once */
}

int session_send_text(struct session *session, const char *text, size_t length)
{
	if (session->closing)
		return -1;
	struct evbuffer *output = bufferevent_get_output(session->conn->bev);
	if (evbuffer_get_length(output) > output_limit(session->server)) {
		session_close(session, WS_CLOSE_POLICY_VIOLATION, "slow consumer");
		return -1;
	}
	int sent = ws_send_text(session->ws, text, length);
	if (sent == 0)
		session->messages_out++;
	return sent;
}

int session_send(struct session *session, const json_t *message)
{
	char *text = json_dumps(message, JSON_COMPACT);
	if (!text)
		return -1;
	int result = session_send_text(session, text, strlen(text));
	free(text);
	return result;
}

void session_send_error(struct session *session, const json_t *request, const char *code,
                        const char *message)
{
	metrics_count_error_sent(&session->server->metrics, code);
	json_t *error = message_new("error", request);
	json_object_set_new(error, "code", json_string(code));
	json_object_set_new(error, "message", json_string(message));
	session_send(session, error);
	json_decref(error);
	if (++session->violations >= session->server->cfg->max_violations)
		session_close(session, WS_CLOSE_POLICY_VIOLATION, "too many errors");
}

int session_authenticate(struct session *session, const char *token, const json_t *request)
{
	struct token_claims claims;
	const char *error, *description;
	struct metrics *metrics = &session->server->metrics;
	if (routes_check_token(session->server, token, &claims, &error, &description) != 0) {
		if (strcmp(error, "account_disabled") == 0) {
			metrics_count_auth(metrics, METRICS_AUTH_WEBSOCKET_DISABLED);
			session_close(session, WS_CLOSE_FORBIDDEN, description);
			return -1;
		}
		metrics_count_auth(metrics, strcmp(error, "server_error") == 0
		                                ? METRICS_AUTH_WEBSOCKET_SERVER_ERROR
		                                : METRICS_AUTH_WEBSOCKET_INVALID_TOKEN);
		if (!session->authenticated)
			session_close(session, WS_CLOSE_UNAUTHORIZED, description);
		else
			session_send_error(session, request, "unauthorized", description);
		return -1;
	}
	if (session->authenticated && strcmp(claims.subject, session->subject) != 0) {
		metrics_count_auth(metrics, METRICS_AUTH_WEBSOCKET_SUBJECT_CHANGED);
		session_send_error(session, request, "forbidden",
		                   "a session cannot change its subject");
		return -1;
	}
	char *subject = session->subject ? session->subject : strdup(claims.subject);
	char *token_room = claims.room[0] ? strdup(claims.room) : NULL;
	if (!subject || (claims.room[0] && !token_room)) {
		if (subject != session->subject)
			free(subject);
		free(token_room);
		metrics_count_auth(metrics, METRICS_AUTH_WEBSOCKET_SERVER_ERROR);
		if (!session->authenticated)
			session_close(session, WS_CLOSE_INTERNAL_ERROR, "out of memory");
		else
			session_send_error(session, request, "server_error", "out of memory");
		return -1;
	}
	metrics_count_auth(metrics, METRICS_AUTH_WEBSOCKET_OK);
	if (!session->authenticated)
		session->roles = claims.roles;
	else
		session->roles &= claims.roles; /* a renewal never widens */
	session->authenticated = 1;
	session->subject = subject;
	free(session->token_room);
	session->token_room = token_room;
	session->token_roles = claims.roles;
	set_deadline(session, claims.expires_at - server_now(session->server));

	json_t *reply = message_new("authenticated", request);
	json_object_set_new(reply, "id", json_string(session->id));
	json_object_set_new(reply, "sub", json_string(claims.subject));
	json_object_set_new(reply, "roles", message_roles(claims.roles));
	json_object_set_new(reply, "expiresAt", json_integer(claims.expires_at));
	session_send(session, reply);
	json_decref(reply);
	return 0;
}

static void on_text(void *arg, const char *data, size_t length)
{
	struct session *session = arg;
	if (session->closing)
		return;
	session->messages_in++;
	if (!token_bucket_take(&session->bucket, server_now_ms(session->server))) {
		session_send_error(session, NULL, "rate_limited", "too many messages; slow down");
		return;
	}
	json_error_t error;
	json_t *message = json_loadb(data, length, JSON_REJECT_DUPLICATES, &error);
	if (!message || !json_is_object(message)) {
		json_decref(message);
		session_send_error(session, NULL, "bad_request", "messages must be JSON objects");
		return;
	}
	session_handle_message(session, message);
	json_decref(message);
}

static void on_close(void *arg, int code)
{
	/* The client said goodbye; ws_conn_feed reports WS_CLOSING or
	 * WS_CLOSED and session_on_readable tears down. */
}

static void on_activity(void *arg)
{
	struct session *session = arg;
	session->last_frame_ms = server_now_ms(session->server);
}

static const struct ws_callbacks session_ws_callbacks = {on_text, on_close, on_activity};

void session_on_readable(struct session *session)
{
	session->read_at_ns = metrics_now_ns();
	session->feeding = 1;
	enum ws_feed_result result = ws_conn_feed(session->ws);
	session->feeding = 0;
	if (result != WS_OPEN || session->closing) {
		session->closing = 1;
		tear_down(session);
	}
}

struct session *session_start(struct server *server, struct conn *conn, const char *bearer)
{
	struct session *session = calloc(1, sizeof(*session));
	if (!session)
		return NULL;
	session->server = server;
	session->conn = conn;
	const struct config *cfg = server->cfg;
	session->ws =
	    ws_conn_new(conn->bev, cfg->max_message_bytes, &session_ws_callbacks, session);
	session->timer = evtimer_new(server->base, timer_cb, session);
	/* A peer id collision is astronomically unlikely; retry rather than
	 * reason about it. */
	int id_ok = 0;
	for (int attempt = 0; attempt < 4 && !id_ok; attempt++)
		id_ok = random_hex(session->id, SESSION_ID_LENGTH / 2) == 0 &&
		        !hmap_get(&server->sessions_by_id, session->id);
	if (!session->ws || !session->timer || !id_ok ||
	    hmap_put(&server->sessions_by_id, session->id, session) != 0) {
		session->id[0] = '\0';
		session_free(session);
		return NULL;
	}
	int64_t now_ms = server_now_ms(server);
	session->last_frame_ms = now_ms;
	session->connected_at_ms = now_ms;
	token_bucket_init(&session->bucket, cfg->messages_per_second, cfg->message_burst, now_ms);
	session->ping_at_ns = metrics_now_ns() + (int64_t)cfg->ping_interval * NS_PER_SECOND;
	session->deadline_ns = INT64_MAX;
	conn->session = session;
	schedule(session);

	if (bearer)
		session_authenticate(session, bearer, NULL);
	else
		set_deadline(session, cfg->auth_timeout);
	return session;
}

void session_free(struct session *session)
{
	/* A session that started ends with a close code: the one we sent or
	 * echoed, or 1006 when the connection dropped without one. */
	if (session->ws && session->id[0]) {
		int code = ws_close_code(session->ws);
		metrics_count_websocket_close(&session->server->metrics, code ? code : 1006);
	}
	if (session->room)
		session_leave_room(session);
	if (session->id[0])
		hmap_remove(&session->server->sessions_by_id, session->id);
	if (session->timer)
		event_free(session->timer);
	if (session->ice_push_timer)
		event_free(session->ice_push_timer);
	if (session->ws)
		ws_conn_free(session->ws);
	if (session->conn && session->conn->session == session)
		session->conn->session = NULL;
	free(session->subject);
	free(session->token_room);
	free(session);
}
