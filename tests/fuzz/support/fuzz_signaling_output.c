/*
 * fuzz_signaling_output.c: the protocol checks of fuzz_signaling_output.h.
 * Whatever they meet that the protocol does not allow is a broken
 * invariant (FUZZ_CHECK).
 */
#include "tests/fuzz/support/fuzz_signaling_output.h"

#include "http/utf8.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_ws_frames.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int status_documented(int status)
{
	static const int statuses[] = {101, 200, 204, 400, 401, 403, 404, 405, 408,
	                               413, 426, 429, 431, 500, 501, 503, 505};
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (status == statuses[i])
			return 1;
	return 0;
}

static const char *find_bytes(const char *haystack, size_t length, const char *needle)
{
	size_t needle_length = strlen(needle);
	for (size_t i = 0; i + needle_length <= length; i++)
		if (memcmp(haystack + i, needle, needle_length) == 0)
			return haystack + i;
	return NULL;
}

static const char *message_type_of(const json_t *message)
{
	const char *type = json_string_value(json_object_get(message, "type"));
	return type ? type : "";
}

static int is_one_of(const char *text, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(text, list[i]) == 0)
			return 1;
	return 0;
}

static int is_peer_id(const char *text)
{
	return text && strlen(text) == FUZZ_PEER_ID_LENGTH &&
	       strspn(text, "0123456789abcdef") == FUZZ_PEER_ID_LENGTH;
}

static int peer_id_known(const struct fuzz_peer_ids *ids, const char *id)
{
	for (size_t i = 0; id && i < ids->count; i++)
		if (strcmp(ids->ids[i], id) == 0)
			return 1;
	return 0;
}

void fuzz_peer_ids_add(struct fuzz_peer_ids *ids, const char *id)
{
	if (is_peer_id(id) && !peer_id_known(ids, id) && ids->count < FUZZ_PEER_IDS_MAX)
		strcpy(ids->ids[ids->count++], id);
}

static void peer_id_remove(struct fuzz_peer_ids *ids, const char *id)
{
	for (size_t i = 0; id && i < ids->count; i++)
		if (strcmp(ids->ids[i], id) == 0) {
			memmove(ids->ids[i], ids->ids[i + 1],
			        (ids->count - i - 1) * sizeof(ids->ids[0]));
			ids->count--;
			return;
		}
}

/* Follows the room membership a client is told about. */
static void track_room(const char *type, const json_t *message, struct fuzz_peer_ids *room)
{
	if (strcmp(type, "joined") == 0) {
		room->count = 0;
		size_t index;
		json_t *peer;
		json_array_foreach(json_object_get(message, "peers"), index, peer)
		    fuzz_peer_ids_add(room, json_string_value(json_object_get(peer, "id")));
	} else if (strcmp(type, "peer-joined") == 0) {
		json_t *peer = json_object_get(message, "peer");
		fuzz_peer_ids_add(room, json_string_value(json_object_get(peer, "id")));
	} else if (strcmp(type, "peer-left") == 0) {
		peer_id_remove(room, json_string_value(json_object_get(message, "id")));
	} else if (strcmp(type, "left") == 0) {
		room->count = 0;
	}
}

/* One text frame the daemon sent to a client; record_only only notes its ids. */
static void check_message(const uint8_t *payload, size_t length,
                          const struct fuzz_peer_ids *announced, struct fuzz_client_view *view,
                          int record_only)
{
	static const char *const types[] = {"authenticated", "joined", "left",   "peer-joined",
	                                    "peer-left",     "offer",  "answer", "ice-servers",
	                                    "candidate",     "chat",   "pong",   "error"};
	static const char *const codes[] = {"bad_request", "not_found",    "forbidden",
	                                    "room_full",   "rate_limited", "unauthorized",
	                                    "server_error"};
	json_t *message = json_loadb((const char *)payload, length, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(json_is_object(message));
	const char *type = message_type_of(message);
	if (record_only) {
		if (strcmp(type, "authenticated") == 0)
			fuzz_peer_ids_add(&view->own,
			                  json_string_value(json_object_get(message, "id")));
		json_decref(message);
		return;
	}
	FUZZ_CHECK(is_one_of(type, types, sizeof(types) / sizeof(types[0])));
	if (strcmp(type, "error") == 0) {
		const char *code = json_string_value(json_object_get(message, "code"));
		FUZZ_CHECK(code && is_one_of(code, codes, sizeof(codes) / sizeof(codes[0])));
		FUZZ_CHECK(json_is_string(json_object_get(message, "message")));
	}
	if (strcmp(type, "authenticated") == 0 || strcmp(type, "joined") == 0)
		FUZZ_CHECK(is_peer_id(json_string_value(json_object_get(message, "id"))));
	track_room(type, message, &view->room);
	if (strcmp(type, "offer") == 0 || strcmp(type, "answer") == 0 ||
	    strcmp(type, "candidate") == 0 || strcmp(type, "chat") == 0) {
		const char *from = json_string_value(json_object_get(message, "from"));
		FUZZ_CHECK(is_peer_id(from) && peer_id_known(announced, from));
		/* Only from a peer of the same room, never from itself (but chat
		 * comes back to its sender). */
		if (strcmp(type, "chat") == 0)
			FUZZ_CHECK(peer_id_known(&view->room, from) ||
			           peer_id_known(&view->own, from));
		else
			FUZZ_CHECK(peer_id_known(&view->room, from) &&
			           !peer_id_known(&view->own, from));
	}
	json_decref(message);
}

/* The frames after a 101; record_only only notes the session's own ids. */
static void check_frames(const uint8_t *bytes, size_t length, const struct fuzz_peer_ids *announced,
                         struct fuzz_client_view *view, int record_only)
{
	size_t position = 0;
	int closed = 0;
	while (position < length) {
		FUZZ_CHECK(!closed);
		struct fuzz_ws_frame frame;
		size_t size = fuzz_ws_frame_decode(bytes + position, length - position, &frame);
		FUZZ_CHECK(size > 0);
		FUZZ_CHECK(frame.rsv == 0 && !frame.masked && frame.fin);
		const uint8_t *payload = frame.payload;
		size_t payload_length = (size_t)frame.length;
		if (frame.opcode == 0x1) {
			FUZZ_CHECK(utf8_is_valid(payload, payload_length));
			check_message(payload, payload_length, announced, view, record_only);
		} else if (frame.opcode == 0x8) {
			FUZZ_CHECK(payload_length != 1 && payload_length <= 125);
			if (payload_length >= 2) {
				FUZZ_CHECK(fuzz_ws_code_sendable(payload[0] << 8 | payload[1]));
				FUZZ_CHECK(utf8_is_valid(payload + 2, payload_length - 2));
			}
			closed = 1;
		} else {
			FUZZ_CHECK(frame.opcode == 0x9 || frame.opcode == 0xa);
		}
		position += size;
	}
}

/* Everything one client received: responses, then frames after a 101. */
static void check_output(const uint8_t *received, size_t length,
                         const struct fuzz_peer_ids *announced, struct fuzz_client_view *view,
                         int record_only)
{
	const char *bytes = (const char *)received;
	size_t position = 0;
	while (position < length) {
		const char *response = bytes + position;
		size_t left = length - position;
		FUZZ_CHECK(left >= 12 && memcmp(response, "HTTP/1.1 ", 9) == 0);
		int status = atoi(response + 9);
		FUZZ_CHECK(status_documented(status));
		const char *end = find_bytes(response, left, "\r\n\r\n");
		FUZZ_CHECK(end != NULL);
		size_t head_length = (size_t)(end - response) + 4;
		const char *length_field =
		    find_bytes(response, head_length, "\r\nContent-Length: ");
		size_t body_length = length_field ? strtoul(length_field + 18, NULL, 10) : 0;
		FUZZ_CHECK(body_length <= left - head_length);
		const char *body = response + head_length;
		if (!record_only && find_bytes(response, head_length, "application/json")) {
			json_t *json = json_loadb(body, body_length, JSON_DECODE_ANY, NULL);
			FUZZ_CHECK(json != NULL);
			if (status >= 400)
				FUZZ_CHECK(json_is_string(json_object_get(json, "error")));
			json_decref(json);
		}
		position += head_length + body_length;
		if (status == 101) {
			check_frames((const uint8_t *)bytes + position, length - position,
			             announced, view, record_only);
			return;
		}
	}
}

void fuzz_output_note_ids(const uint8_t *bytes, size_t length, struct fuzz_client_view *view)
{
	check_output(bytes, length, NULL, view, 1);
}

void fuzz_output_check(const uint8_t *bytes, size_t length, const struct fuzz_peer_ids *announced,
                       struct fuzz_client_view *view)
{
	check_output(bytes, length, announced, view, 0);
}

void fuzz_output_trace(const char *name, const uint8_t *received, size_t length)
{
	const char *bytes = length ? (const char *)received : "";
	fprintf(stderr, "---- %s received %zu bytes:\n", name, length);
	const char *upgraded = find_bytes(bytes, length, "HTTP/1.1 101 ");
	const char *frames =
	    upgraded ? find_bytes(upgraded, length - (size_t)(upgraded - bytes), "\r\n\r\n") : NULL;
	size_t http_length = frames ? (size_t)(frames + 4 - bytes) : length;
	fwrite(bytes, 1, http_length, stderr);
	size_t position = http_length;
	struct fuzz_ws_frame frame;
	size_t size;
	while (position < length && (size = fuzz_ws_frame_decode((const uint8_t *)bytes + position,
	                                                         length - position, &frame)) > 0) {
		fprintf(stderr, "[frame %x] %.*s\n", frame.opcode, (int)frame.length,
		        (const char *)frame.payload);
		position += size;
	}
}
