/*
 * control_request.c: reading one control request line into a struct. The
 * control socket is local and trusted only after the peer check, but what
 * arrives on it is still checked strictly: a JSON object with a known "cmd",
 * only the fields that command takes, each of the right type and size, so a
 * mistyped request is answered with what is wrong instead of being guessed at.
 */
#include "signaling/control.h"

#include "signaling/room.h"

#include <stdio.h>
#include <string.h>

struct command_shape {
	const char *name;
	enum control_command command;
	const char *const *fields; /* the fields besides "cmd", NULL-terminated */
};

static const char *const no_fields[] = {NULL};
static const char *const sessions_fields[] = {"room", NULL};
static const char *const kick_fields[] = {"id", "user", NULL};

static const struct command_shape command_shapes[] = {
    {"status", CONTROL_STATUS, no_fields},
    {"sessions", CONTROL_SESSIONS, sessions_fields},
    {"rooms", CONTROL_ROOMS, no_fields},
    {"kick", CONTROL_KICK, kick_fields},
};

json_t *control_error_reply(const char *code, const char *message)
{
	return json_pack("{s:s, s:s}", "error", code, "message", message);
}

static int fail(const char **error_code, const char *code, char *message, size_t message_size,
                const char *text)
{
	*error_code = code;
	snprintf(message, message_size, "%s", text);
	return -1;
}

static int field_allowed(const struct command_shape *shape, const char *field)
{
	if (strcmp(field, "cmd") == 0)
		return 1;
	for (const char *const *name = shape->fields; *name; name++)
		if (strcmp(*name, field) == 0)
			return 1;
	return 0;
}

/* Copies the string field name into out. Returns 1 copied, 0 absent, -1
 * wrong (not a string, empty, or too long). jansson refuses \u0000 in
 * strings, so the copy is a C string. */
static int copy_string_field(const json_t *object, const char *name, char *out, size_t out_size)
{
	const json_t *value = json_object_get(object, name);
	if (!value)
		return 0;
	if (!json_is_string(value))
		return -1;
	size_t length = json_string_length(value);
	const char *text = json_string_value(value);
	if (length == 0 || length >= out_size)
		return -1;
	memcpy(out, text, length + 1);
	return 1;
}

static int parse_kick(const json_t *object, struct control_request *out, const char **error_code,
                      char *message, size_t message_size)
{
	int has_id = copy_string_field(object, "id", out->id, sizeof(out->id));
	int has_user = copy_string_field(object, "user", out->user, sizeof(out->user));
	if (has_id < 0)
		return fail(error_code, "bad_request", message, message_size,
		            "kick: id must be a peer id (a string of 1-64 characters)");
	if (has_user < 0)
		return fail(error_code, "bad_request", message, message_size,
		            "kick: user must be a user name (a string of 1-127 bytes)");
	if (has_id == has_user)
		return fail(error_code, "bad_request", message, message_size,
		            "kick: give exactly one of id or user");
	return 0;
}

int control_request_parse(const char *line, size_t length, struct control_request *out,
                          const char **error_code, char *message, size_t message_size)
{
	memset(out, 0, sizeof(*out));
	json_error_t json_error;
	json_t *object = json_loadb(line, length, JSON_REJECT_DUPLICATES, &json_error);
	if (!object || !json_is_object(object)) {
		json_decref(object);
		return fail(error_code, "bad_request", message, message_size,
		            "a request is one JSON object on one line");
	}
	int result = 0;
	const char *name = json_string_value(json_object_get(object, "cmd"));
	const struct command_shape *shape = NULL;
	for (size_t i = 0; name && i < sizeof(command_shapes) / sizeof(command_shapes[0]); i++)
		if (strcmp(name, command_shapes[i].name) == 0)
			shape = &command_shapes[i];
	if (!name) {
		result = fail(error_code, "bad_request", message, message_size,
		              "cmd is missing or not a string");
	} else if (!shape) {
		*error_code = "unknown_command";
		snprintf(message, message_size,
		         "unknown command '%.64s' (expected status, sessions, rooms or kick)",
		         name);
		result = -1;
	}
	const char *field;
	json_t *value;
	json_object_foreach(object, field, value)
	{
		if (result == 0 && !field_allowed(shape, field)) {
			*error_code = "bad_request";
			snprintf(message, message_size, "%s takes no field '%.64s'", shape->name,
			         field);
			result = -1;
		}
	}
	if (result == 0) {
		out->command = shape->command;
		if (shape->command == CONTROL_KICK)
			result = parse_kick(object, out, error_code, message, message_size);
		else if (shape->command == CONTROL_SESSIONS &&
		         (copy_string_field(object, "room", out->room, sizeof(out->room)) < 0 ||
		          (out->room[0] && !room_name_valid(out->room))))
			result = fail(error_code, "bad_request", message, message_size,
			              "sessions: room must be a room name (1-64 characters of "
			              "A-Z a-z 0-9 _ - .)");
	}
	json_decref(object);
	return result;
}
