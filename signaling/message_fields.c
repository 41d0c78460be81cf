/*
 * message_fields.c: the field rules behind message_fields.h.
 */
#include "signaling/message_fields.h"

#include <string.h>

int message_id_valid(const json_t *message)
{
	json_t *id = json_object_get(message, "id");
	return !id || json_is_integer(id) ||
	       (json_is_string(id) && json_string_length(id) <= MESSAGE_ID_MAX);
}

json_t *message_sdp(const json_t *message)
{
	json_t *sdp = json_object_get(message, "sdp");
	if (json_is_object(sdp))
		sdp = json_object_get(sdp, "sdp");
	return json_is_string(sdp) && json_string_length(sdp) > 0 ? sdp : NULL;
}

static int absent_null_or(const json_t *object, const char *key, int (*check)(const json_t *))
{
	json_t *value = json_object_get(object, key);
	return !value || json_is_null(value) || check(value);
}

static int is_string(const json_t *value)
{
	return json_is_string(value);
}

static int is_line_index(const json_t *value)
{
	return json_is_integer(value) && json_integer_value(value) >= 0 &&
	       json_integer_value(value) <= 65535;
}

json_t *message_candidate(const json_t *message)
{
	static const char *const fields[] = {"candidate", "sdpMid", "sdpMLineIndex",
	                                     "usernameFragment"};
	json_t *candidate = json_object_get(message, "candidate");
	if (json_is_null(candidate))
		return json_null();
	if (!json_is_object(candidate) ||
	    !json_is_string(json_object_get(candidate, "candidate")) ||
	    !absent_null_or(candidate, "sdpMid", is_string) ||
	    !absent_null_or(candidate, "sdpMLineIndex", is_line_index) ||
	    !absent_null_or(candidate, "usernameFragment", is_string))
		return NULL;
	json_t *clean = json_object();
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *value = json_object_get(candidate, fields[i]);
		if (value)
			json_object_set(clean, fields[i], value);
	}
	return clean;
}

const char *message_chat_text(const json_t *message)
{
	const char *text = json_string_value(json_object_get(message, "text"));
	if (!text || !*text)
		return NULL;
	size_t characters = 0;
	for (const char *c = text; *c; c++)
		characters += ((unsigned char)*c & 0xC0) != 0x80; /* count lead bytes */
	return characters <= CHAT_TEXT_MAX ? text : NULL;
}
