/*
 * fuzz_signaling_message.c: turning a WebSocket text message into a
 * validated signaling message, as a session does before dispatching it.
 *
 * The text is parsed the way the session parses it (jansson, duplicate keys
 * refused, only objects go on), then every field rule the handlers apply is
 * run on it: id, type, room name, role, SDP, ICE candidate and chat text.
 * Each accepted field must really have the shape the protocol promises to
 * the peers that receive it, and each message the server would build from it
 * (the error or reply carrying "ref", the relayed offer, candidate or chat)
 * must serialise to JSON that parses back to an object with the same fields.
 */
#include "auth/roles.h"
#include "http/utf8.h"
#include "signaling/message.h"
#include "signaling/message_fields.h"
#include "signaling/room.h"
#include "tests/fuzz/support/fuzz_check.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Serialises message as the server does and parses it back. */
static void check_round_trip(const json_t *message)
{
	char *text = json_dumps(message, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(utf8_is_valid(text, strlen(text)));
	json_t *again = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(json_is_object(again));
	FUZZ_CHECK(json_equal(again, message));
	json_decref(again);
	free(text);
}

static void check_id_and_reply(const json_t *message)
{
	json_t *id = json_object_get(message, "id");
	int valid = message_id_valid(message);
	FUZZ_CHECK(valid == (!id || json_is_integer(id) ||
	                     (json_is_string(id) && json_string_length(id) <= MESSAGE_ID_MAX)));
	json_t *reply = message_new("error", valid ? message : NULL);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(reply, "type")), "error") == 0);
	json_t *ref = json_object_get(reply, "ref");
	if (valid && id && (json_is_string(id) || json_is_integer(id)))
		FUZZ_CHECK(ref && json_equal(ref, id));
	else
		FUZZ_CHECK(ref == NULL);
	check_round_trip(reply);
	json_decref(reply);
}

static void check_sdp(const json_t *message)
{
	json_t *sdp = message_sdp(message);
	if (!sdp)
		return;
	FUZZ_CHECK(json_is_string(sdp) && json_string_length(sdp) > 0);
	json_t *raw = json_object_get(message, "sdp");
	FUZZ_CHECK(sdp == raw || sdp == json_object_get(raw, "sdp"));
	json_t *relayed =
	    json_pack("{s:s, s:s, s:O}", "type", "offer", "from", "0123456789abcdef", "sdp", sdp);
	FUZZ_CHECK(relayed != NULL);
	check_round_trip(relayed);
	json_decref(relayed);
}

static void check_candidate(const json_t *message)
{
	json_t *candidate = message_candidate(message);
	if (!candidate)
		return;
	if (!json_is_null(candidate)) {
		static const char *const known[] = {"candidate", "sdpMid", "sdpMLineIndex",
		                                    "usernameFragment"};
		FUZZ_CHECK(json_is_object(candidate));
		FUZZ_CHECK(json_is_string(json_object_get(candidate, "candidate")));
		const char *key;
		json_t *value;
		json_object_foreach(candidate, key, value)
		{
			int is_known = 0;
			for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
				is_known |= strcmp(key, known[i]) == 0;
			FUZZ_CHECK(is_known);
		}
		json_t *index = json_object_get(candidate, "sdpMLineIndex");
		FUZZ_CHECK(!index || json_is_null(index) ||
		           (json_is_integer(index) && json_integer_value(index) >= 0 &&
		            json_integer_value(index) <= 65535));
		json_t *mid = json_object_get(candidate, "sdpMid");
		FUZZ_CHECK(!mid || json_is_null(mid) || json_is_string(mid));
	}
	json_t *relayed = json_pack("{s:s, s:s, s:O}", "type", "candidate", "from",
	                            "0123456789abcdef", "candidate", candidate);
	FUZZ_CHECK(relayed != NULL);
	check_round_trip(relayed);
	json_decref(relayed);
	json_decref(candidate);
}

static void check_chat(const json_t *message)
{
	const char *text = message_chat_text(message);
	if (!text)
		return;
	FUZZ_CHECK(text == json_string_value(json_object_get(message, "text")));
	FUZZ_CHECK(text[0] != '\0');
	/* Characters, not bytes: at most 4096 code points of valid UTF-8. */
	size_t length = strlen(text), characters = 0;
	FUZZ_CHECK(utf8_is_valid(text, length));
	for (size_t i = 0; i < length; i++)
		characters += ((unsigned char)text[i] & 0xc0) != 0x80;
	FUZZ_CHECK(characters <= CHAT_TEXT_MAX);
	json_t *chat =
	    json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "chat", "from", "0123456789abcdef",
	              "name", "alice", "text", text, "ts", (json_int_t)1700000000000);
	FUZZ_CHECK(chat != NULL);
	check_round_trip(chat);
	json_decref(chat);
}

static void check_room_and_role(const json_t *message)
{
	const char *room = json_string_value(json_object_get(message, "room"));
	if (room && room_name_valid(room)) {
		size_t length = strlen(room);
		FUZZ_CHECK(length >= 1 && length <= 64);
		FUZZ_CHECK(strspn(room, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                        "0123456789_-.") == length);
	}
	const char *role = json_string_value(json_object_get(message, "role"));
	if (role) {
		unsigned bit = roles_parse_one(role);
		FUZZ_CHECK(bit == 0 || (bit == ROLE_SENDER && strcmp(role, "sender") == 0) ||
		           (bit == ROLE_RECEIVER && strcmp(role, "receiver") == 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* ws_conn only delivers valid UTF-8; anything else closes with 1007. */
	if (!utf8_is_valid(data, size))
		return 0;
	json_error_t error;
	json_t *message = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error);
	if (!json_is_object(message)) {
		json_decref(message);
		return 0;
	}
	check_id_and_reply(message);
	check_room_and_role(message);
	check_sdp(message);
	check_candidate(message);
	check_chat(message);
	json_decref(message);
	return 0;
}
