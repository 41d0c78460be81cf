/*
 * control_commands.c: what each control request does, read straight from
 * the live server struct on the loop thread: status counts, the session
 * and room lists, and kicking sessions. A kick closes with 4403 and the
 * reason "kicked by an administrator": the JavaScript client then stops and
 * asks its user to sign in again instead of reconnecting at once (a kick is
 * not a ban; "icegatectl user disable" is). Replies are JSON objects whose
 * fields docs/control.md lists.
 */
#include "signaling/control.h"

#include "auth/roles.h"
#include "http/ws.h"
#include "signaling/conn.h"
#include "signaling/message.h"
#include "signaling/server.h"
#include "signaling/session.h"

#include <arpa/inet.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define KICK_REASON "kicked by an administrator"

/* "HOST:PORT" of a listener's socket as bound, or null. */
static json_t *listener_address(struct evconnlistener *listener)
{
	struct sockaddr_storage address;
	socklen_t length = sizeof(address);
	if (!listener ||
	    getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&address, &length) != 0)
		return json_null();
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 16];
	if (address.ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&address;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
		snprintf(text, sizeof(text), "[%s]:%u", host, ntohs(v6->sin6_port));
	} else if (address.ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&address;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
		snprintf(text, sizeof(text), "%s:%u", host, ntohs(v4->sin_port));
	} else {
		return json_null();
	}
	return json_string(text);
}

struct session_counts {
	size_t sessions, authenticated;
};

static void count_session(const char *id, void *value, void *arg)
{
	const struct session *session = value;
	struct session_counts *counts = arg;
	counts->sessions++;
	counts->authenticated += session->authenticated != 0;
}

static void count_peers(const char *name, void *value, void *arg)
{
	*(size_t *)arg += ((const struct room *)value)->count;
}

static json_t *run_status(struct server *server)
{
	struct session_counts counts = {0, 0};
	hmap_foreach(&server->sessions_by_id, count_session, &counts);
	size_t peers = 0;
	hmap_foreach(&server->rooms.by_name, count_peers, &peers);
	int64_t started_at = server->started_at_ms / 1000;
	json_t *listening = json_object();
	json_object_set_new(listening, "signaling", listener_address(server->listener));
	json_object_set_new(listening, "metrics", listener_address(server->metrics_listener));
	return json_pack(
	    "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:b}", "version", ICEGATE_VERSION,
	    "pid", (json_int_t)getpid(), "started_at", (json_int_t)started_at, "uptime_seconds",
	    (json_int_t)(server_now(server) - started_at), "connections",
	    (json_int_t)server->connection_count, "sessions", (json_int_t)counts.sessions,
	    "authenticated_sessions", (json_int_t)counts.authenticated, "rooms",
	    (json_int_t)server->rooms.by_name.count, "peers", (json_int_t)peers, "listening",
	    listening, "tls", server->cfg->cert[0] != '\0');
}

/* The values of a map picked for a list, gathered to be sorted. */
struct listing {
	int (*keep)(const void *item, const void *arg); /* NULL keeps every value */
	const void *keep_arg;
	const void **items; /* owned */
	size_t count;
};

static void collect(const char *key, void *value, void *arg)
{
	struct listing *listing = arg;
	if (!listing->keep || listing->keep(value, listing->keep_arg))
		listing->items[listing->count++] = value;
}

/* {"<name>": [to_json(value)...]} for the values of map that keep accepts,
 * in compare's order; NULL when out of memory. */
static json_t *list_values(const struct hmap *map, const char *name, struct listing *listing,
                           int (*compare)(const void *, const void *),
                           json_t *(*to_json)(const void *item))
{
	listing->items = calloc(map->count ? map->count : 1, sizeof(*listing->items));
	if (!listing->items)
		return NULL;
	hmap_foreach(map, collect, listing);
	qsort(listing->items, listing->count, sizeof(listing->items[0]), compare);
	json_t *list = json_array();
	for (size_t i = 0; list && i < listing->count; i++)
		if (json_array_append_new(list, to_json(listing->items[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	free(listing->items);
	return list ? json_pack("{s:o}", name, list) : NULL;
}

static json_t *session_to_json(const void *item)
{
	const struct session *session = item;
	const char *user = session->authenticated ? session->subject : NULL;
	json_t *roles = session->authenticated ? message_roles(session->roles) : json_array();
	return json_pack(
	    "{s:s, s:s?, s:o, s:s?, s:s, s:I, s:b, s:I, s:I}", "id", session->id, "user", user,
	    "roles", roles, "room", session->room ? session->room->name : NULL, "address",
	    session->conn->address, "connected_at", (json_int_t)(session->connected_at_ms / 1000),
	    "authenticated", session->authenticated, "messages_in",
	    (json_int_t)session->messages_in, "messages_out", (json_int_t)session->messages_out);
}

/* Oldest first; the peer id breaks ties so the order is stable. */
static int compare_sessions(const void *left, const void *right)
{
	const struct session *a = *(const struct session *const *)left;
	const struct session *b = *(const struct session *const *)right;
	if (a->connected_at_ms != b->connected_at_ms)
		return a->connected_at_ms < b->connected_at_ms ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int session_in_room(const void *item, const void *room)
{
	const struct session *session = item;
	return session->room && strcmp(session->room->name, room) == 0;
}

static json_t *run_sessions(struct server *server, const char *room)
{
	struct listing listing = {room[0] ? session_in_room : NULL, room, NULL, 0};
	return list_values(&server->sessions_by_id, "sessions", &listing, compare_sessions,
	                   session_to_json);
}

static int compare_rooms(const void *left, const void *right)
{
	const struct room *a = *(const struct room *const *)left;
	const struct room *b = *(const struct room *const *)right;
	return strcmp(a->name, b->name);
}

static json_t *room_to_json(const void *item)
{
	const struct room *room = item;
	size_t senders = 0;
	for (size_t i = 0; i < room->count; i++)
		senders += (room->members[i]->roles & ROLE_SENDER) != 0;
	return json_pack("{s:s, s:I, s:I}", "room", room->name, "peers", (json_int_t)room->count,
	                 "senders", (json_int_t)senders);
}

/* By name. */
static json_t *run_rooms(struct server *server)
{
	struct listing listing = {NULL, NULL, NULL, 0};
	return list_values(&server->rooms.by_name, "rooms", &listing, compare_rooms, room_to_json);
}

static json_t *kick_by_id(struct server *server, const char *id)
{
	struct session *session = hmap_get(&server->sessions_by_id, id);
	if (!session || session->closing) {
		char message[128];
		snprintf(message, sizeof(message), "no session with id '%s'", id);
		return control_error_reply("not_found", message);
	}
	session_close(session, WS_CLOSE_FORBIDDEN, KICK_REASON);
	return json_pack("{s:i, s:[s]}", "closed", 1, "ids", id);
}

struct user_kick {
	const char *user;
	json_t *ids; /* of the sessions closed */
};

static void kick_if_user(const char *id, void *value, void *arg)
{
	struct session *session = value;
	struct user_kick *kick = arg;
	if (session->closing || !session->authenticated ||
	    strcmp(session->subject, kick->user) != 0)
		return;
	/* The teardown is deferred, so the map stays as hmap_foreach needs. */
	session_close(session, WS_CLOSE_FORBIDDEN, KICK_REASON);
	json_array_append_new(kick->ids, json_string(session->id));
}

static json_t *kick_by_user(struct server *server, const char *user)
{
	struct user_kick kick = {user, json_array()};
	if (!kick.ids)
		return NULL;
	hmap_foreach(&server->sessions_by_id, kick_if_user, &kick);
	if (json_array_size(kick.ids) == 0) {
		/* Nothing open: say whether the name is a user at all, so a typo
		 * is not mistaken for "already gone". */
		struct store_user found;
		int missing = store_user_get(server->store, user, &found);
		explicit_bzero(found.password_hash, sizeof(found.password_hash));
		char message[STORE_SUBJECT_MAX + 64];
		if (missing < 0) {
			json_decref(kick.ids);
			snprintf(message, sizeof(message), "looking the user up: %s",
			         store_error(server->store));
			return control_error_reply("internal", message);
		}
		if (missing == 1) {
			json_decref(kick.ids);
			snprintf(message, sizeof(message), "no user named '%s'", user);
			return control_error_reply("unknown_user", message);
		}
	}
	return json_pack("{s:I, s:o}", "closed", (json_int_t)json_array_size(kick.ids), "ids",
	                 kick.ids);
}

json_t *control_execute(struct server *server, const struct control_request *request)
{
	switch (request->command) {
	case CONTROL_STATUS:
		return run_status(server);
	case CONTROL_SESSIONS:
		return run_sessions(server, request->room);
	case CONTROL_ROOMS:
		return run_rooms(server);
	case CONTROL_KICK:
		return request->id[0] ? kick_by_id(server, request->id)
		                      : kick_by_user(server, request->user);
	}
	return NULL;
}
