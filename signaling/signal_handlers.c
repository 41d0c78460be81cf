/*
 * signal_handlers.c: what each client message type does. One table maps a
 * type to its handler and to what it requires (authentication, a room); each
 * handler validates its own fields and answers with a reply or an error.
 * Relayed messages are rebuilt from validated fields, so a client can never
 * choose "from" or smuggle other fields to its peers.
 */
#include "auth/roles.h"
#include "common/hashmap.h"
#include "http/ws.h"
#include "signaling/message.h"
#include "signaling/message_fields.h"
#include "signaling/room.h"
#include "signaling/server.h"
#include "signaling/session.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

typedef void (*message_handler)(struct session *session, json_t *message);

struct message_type {
	const char *type;
	message_handler handle;
	int needs_auth;
	int needs_room;
};

/* Counts one message from session queued for another peer, and its latency
 * since session's input was read. */
static void count_relayed(struct session *session, const char *type)
{
	struct metrics *metrics = &session->server->metrics;
	metrics_count_message_relayed(metrics, type);
	metrics_observe_relay_latency(metrics, metrics_now_ns() - session->read_at_ns);
}

/* Sends the same text to every member of room but except. When relayed_from
 * is set, the message is that peer's, and each copy to another peer counts as
 * relayed. */
static void send_to_room(struct room *room, const json_t *message, const struct session *except,
                         struct session *relayed_from)
{
	char *text = json_dumps(message, JSON_COMPACT);
	if (!text)
		return;
	size_t length = strlen(text);
	const char *type = json_string_value(json_object_get(message, "type"));
	for (size_t i = 0; i < room->count; i++) {
		struct session *member = room->members[i];
		if (member == except || session_send_text(member, text, length) != 0)
			continue;
		if (relayed_from && member != relayed_from)
			count_relayed(relayed_from, type);
	}
	free(text);
}

void session_leave_room(struct session *session)
{
	struct room *room = session->room;
	int others_remain = room->count > 1;
	session->room = NULL;
	room_leave(&session->server->rooms, room, session); /* frees an emptied room */
	if (!others_remain)
		return;
	json_t *left = json_pack("{s:s, s:s}", "type", "peer-left", "id", session->id);
	send_to_room(room, left, NULL, NULL);
	json_decref(left);
}

static void handle_auth(struct session *session, json_t *message)
{
	json_t *token = json_object_get(message, "token");
	if (!json_is_string(token)) {
		session_send_error(session, message, "bad_request", "auth needs a string token");
		return;
	}
	session_authenticate(session, json_string_value(token), message);
}

static void handle_ping(struct session *session, json_t *message)
{
	struct timeval now;
	gettimeofday(&now, NULL);
	json_t *pong = message_new("pong", message);
	json_object_set_new(pong, "ts",
	                    json_integer((json_int_t)now.tv_sec * 1000 + now.tv_usec / 1000));
	session_send(session, pong);
	json_decref(pong);
}

static void handle_join(struct session *session, json_t *message)
{
	const char *room_name = json_string_value(json_object_get(message, "room"));
	json_t *role_value = json_object_get(message, "role");
	if (!room_name || !room_name_valid(room_name)) {
		session_send_error(session, message, "bad_request",
		                   "room must be 1-64 characters of A-Z a-z 0-9 _ - .");
		return;
	}
	unsigned roles = session->token_roles;
	if (role_value) {
		unsigned wanted =
		    json_is_string(role_value) ? roles_parse_one(json_string_value(role_value)) : 0;
		if (!wanted) {
			session_send_error(session, message, "bad_request",
			                   "role must be \"sender\" or \"receiver\"");
			return;
		}
		if (!(wanted & roles)) {
			session_send_error(session, message, "forbidden",
			                   "your token does not grant that role");
			return;
		}
		roles = wanted;
	}
	if (session->token_room && strcmp(session->token_room, room_name) != 0) {
		session_send_error(session, message, "forbidden",
		                   "your token is limited to another room");
		return;
	}
	if (session->room && strcmp(session->room->name, room_name) != 0)
		session_leave_room(session);

	if (!session->room) {
		struct room *room;
		enum room_join_result result =
		    room_join(&session->server->rooms, room_name, session,
		              (size_t)session->server->cfg->max_peers_per_room, &room);
		if (result == ROOM_FULL) {
			session_send_error(session, message, "room_full", "the room is full");
			return;
		}
		if (result != ROOM_JOINED) {
			session_send_error(session, message, "server_error", "out of memory");
			return;
		}
		session->room = room;
		session->roles = roles;
		json_t *announce =
		    json_pack("{s:s, s:o}", "type", "peer-joined", "peer", message_peer(session));
		send_to_room(room, announce, session, NULL);
		json_decref(announce);
	}

	json_t *peers = json_array();
	struct room *room = session->room;
	for (size_t i = 0; i < room->count; i++)
		if (room->members[i] != session)
			json_array_append_new(peers, message_peer(room->members[i]));
	json_t *joined = message_new("joined", message);
	json_object_set_new(joined, "room", json_string(room->name));
	json_object_set_new(joined, "id", json_string(session->id));
	json_object_set_new(joined, "peers", peers);
	json_t *servers = session_ice_servers(session);
	if (servers)
		json_object_set_new(joined, "iceServers", servers);
	session_send(session, joined);
	json_decref(joined);
}

static void handle_leave(struct session *session, json_t *message)
{
	json_t *left = message_new("left", message);
	json_object_set_new(left, "room", json_string(session->room->name));
	session_leave_room(session);
	session_send(session, left);
	json_decref(left);
}

/* The peer a relayed message goes to, or NULL after replying with an error. */
static struct session *relay_target(struct session *session, json_t *message, int to_optional)
{
	json_t *to = json_object_get(message, "to");
	if (!to && to_optional) {
		struct session *sender = room_first_sender(session->room, session);
		if (!sender)
			session_send_error(session, message, "not_found",
			                   "there is no sender in this room");
		return sender;
	}
	if (!json_is_string(to)) {
		session_send_error(session, message, "bad_request", "\"to\" must be a peer id");
		return NULL;
	}
	struct session *target = hmap_get(&session->server->sessions_by_id, json_string_value(to));
	if (!target || target == session || target->room != session->room) {
		session_send_error(session, message, "not_found", "no such peer in your room");
		return NULL;
	}
	return target;
}

/* Relays to target with "from" set here. Offers and answers also carry ICE
 * servers minted for the target, so each side gets credentials of its own. */
static void relay(struct session *session, struct session *target, const char *type,
                  const char *field, json_t *value, int with_ice_servers)
{
	json_t *out = json_pack("{s:s, s:s, s:O}", "type", type, "from", session->id, field, value);
	if (!out)
		return;
	json_t *servers = with_ice_servers ? session_ice_servers(target) : NULL;
	if (servers)
		json_object_set_new(out, "iceServers", servers);
	if (session_send(target, out) == 0)
		count_relayed(session, type);
	json_decref(out);
}

static void handle_description(struct session *session, json_t *message, int is_offer)
{
	json_t *sdp = message_sdp(message);
	if (!sdp) {
		session_send_error(session, message, "bad_request",
		                   "sdp must be SDP text or {\"type\",\"sdp\"}");
		return;
	}
	struct session *target = relay_target(session, message, is_offer);
	if (target)
		relay(session, target, is_offer ? "offer" : "answer", "sdp", sdp, 1);
}

static void handle_offer(struct session *session, json_t *message)
{
	handle_description(session, message, 1);
}

static void handle_answer(struct session *session, json_t *message)
{
	handle_description(session, message, 0);
}

static void handle_candidate(struct session *session, json_t *message)
{
	json_t *candidate = message_candidate(message);
	if (!candidate) {
		session_send_error(session, message, "bad_request",
		                   "candidate must be an RTCIceCandidateInit object or null");
		return;
	}
	struct session *target = relay_target(session, message, 0);
	if (target)
		relay(session, target, "candidate", "candidate", candidate, 0);
	json_decref(candidate);
}

static void handle_chat(struct session *session, json_t *message)
{
	const char *text = message_chat_text(message);
	if (!text) {
		session_send_error(session, message, "bad_request",
		                   "text must be a string of 1-4096 characters");
		return;
	}
	struct timeval now;
	gettimeofday(&now, NULL);
	json_t *chat = json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "chat", "from", session->id,
	                         "name", session->subject, "text", text, "ts",
	                         (json_int_t)now.tv_sec * 1000 + now.tv_usec / 1000);
	send_to_room(session->room, chat, NULL, session);
	json_decref(chat);
}

static const struct message_type message_types[] = {
    {"auth", handle_auth, 0, 0},           {"ping", handle_ping, 1, 0},
    {"join", handle_join, 1, 0},           {"leave", handle_leave, 1, 1},
    {"offer", handle_offer, 1, 1},         {"answer", handle_answer, 1, 1},
    {"candidate", handle_candidate, 1, 1}, {"chat", handle_chat, 1, 1},
};

void session_handle_message(struct session *session, json_t *message)
{
	metrics_count_message_received(&session->server->metrics,
	                               json_string_value(json_object_get(message, "type")));
	if (!message_id_valid(message)) {
		json_object_del(message, "id");
		session_send_error(session, message, "bad_request",
		                   "id must be an integer or a string of at most 64 characters");
		return;
	}
	const char *type = json_string_value(json_object_get(message, "type"));
	if (!type) {
		session_send_error(session, message, "bad_request", "type must be a string");
		return;
	}
	for (size_t i = 0; i < sizeof(message_types) / sizeof(message_types[0]); i++) {
		const struct message_type *entry = &message_types[i];
		if (strcmp(type, entry->type) != 0)
			continue;
		if (entry->needs_auth && !session->authenticated)
			session_send_error(session, message, "unauthorized", "authenticate first");
		else if (entry->needs_room && !session->room)
			session_send_error(session, message, "forbidden", "join a room first");
		else
			entry->handle(session, message);
		return;
	}
	session_send_error(session, message, "bad_request", "unknown message type");
}
