/*
 * cmd_sessions.c: "icegatectl sessions list [--room ROOM] [--json]" and
 * "icegatectl sessions kick ID|--user NAME", the running daemon's
 * WebSocket sessions. A kick closes with 4403 "kicked by an administrator";
 * the session's user may sign in again (to keep them out, disable the user).
 * Kicking a user who exists but has no open session is not an error (0
 * sessions closed, exit 0); an unknown user or session id is (exit 1).
 */
#include "ctl/ctl.h"

#include <stdio.h>
#include <string.h>

enum { OPTION_ROOM = 256, OPTION_JSON, OPTION_USER };

/* The table's columns, in order. */
enum column { COLUMN_ID, COLUMN_USER, COLUMN_ROLES, COLUMN_ROOM, COLUMN_ADDRESS, COLUMN_COUNT };
static const char *const column_titles[COLUMN_COUNT] = {"ID", "USER", "ROLES", "ROOM", "ADDRESS"};

/* The text of one cell: "-" for a missing value. roles_text holds the
 * joined roles. */
static const char *cell(const json_t *session, enum column column, char *roles_text,
                        size_t roles_size)
{
	static const char *const fields[COLUMN_COUNT] = {"id", "user", NULL, "room", "address"};
	if (column == COLUMN_ROLES) {
		const json_t *roles = json_object_get(session, "roles");
		roles_text[0] = '\0';
		size_t index;
		const json_t *role;
		json_array_foreach(roles, index, role)
		{
			size_t used = strlen(roles_text);
			snprintf(roles_text + used, roles_size - used, "%s%s", index ? "," : "",
			         json_string_value(role) ? json_string_value(role) : "?");
		}
		return roles_text[0] ? roles_text : "-";
	}
	const char *text = json_string_value(json_object_get(session, fields[column]));
	return text ? text : "-";
}

static void print_table(const json_t *sessions)
{
	size_t widths[COLUMN_COUNT];
	char roles[64];
	for (int column = 0; column < COLUMN_COUNT; column++)
		widths[column] = strlen(column_titles[column]);
	size_t index;
	const json_t *session;
	json_array_foreach(sessions, index, session)
	{
		for (int column = 0; column < COLUMN_COUNT; column++) {
			size_t width =
			    ctl_display_width(cell(session, column, roles, sizeof(roles)));
			if (width > widths[column])
				widths[column] = width;
		}
	}
	for (int column = 0; column < COLUMN_COUNT; column++)
		ctl_print_padded(column_titles[column], widths[column]);
	ctl_print_padded("CONNECTED", strlen("YYYY-MM-DD HH:MM:SSZ"));
	puts("IN/OUT");
	json_array_foreach(sessions, index, session)
	{
		for (int column = 0; column < COLUMN_COUNT; column++)
			ctl_print_padded(cell(session, column, roles, sizeof(roles)),
			                 widths[column]);
		char connected[32];
		ctl_format_time(json_integer_value(json_object_get(session, "connected_at")),
		                connected, sizeof(connected));
		ctl_print_padded(connected, strlen("YYYY-MM-DD HH:MM:SSZ"));
		printf("%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT "\n",
		       json_integer_value(json_object_get(session, "messages_in")),
		       json_integer_value(json_object_get(session, "messages_out")));
	}
}

static int sessions_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"room", required_argument, NULL, OPTION_ROOM},
	    {"json", no_argument, NULL, OPTION_JSON},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {"sessions list", "", longs};
	const char *room = NULL;
	int json = 0, option;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return CTL_USAGE;
		if (option == OPTION_ROOM)
			room = optarg;
		else
			json = 1;
	}
	if (ctl_positionals(&options, argc, argv, 0, "") < 0)
		return CTL_USAGE;
	json_t *request = json_pack("{s:s}", "cmd", "sessions");
	if (request && room)
		json_object_set_new(request, "room", json_string(room));
	return ctl_control_show(ctl, request, "sessions", json, print_table);
}

static int sessions_kick(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"user", required_argument, NULL, OPTION_USER},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {"sessions kick", "", longs};
	const char *user = NULL;
	int option;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return CTL_USAGE;
		user = optarg;
	}
	int remaining = argc - optind;
	if ((user != NULL) == (remaining == 1) || remaining > 1)
		return ctl_usage("sessions kick: expected a session ID or --user NAME");
	const char *id = user ? NULL : argv[optind];
	json_t *reply;
	json_t *request =
	    json_pack("{s:s, s:s}", "cmd", "kick", user ? "user" : "id", user ? user : id);
	if (ctl_control_request(ctl, request, &reply) != CTL_OK)
		return CTL_FAILURE;
	const char *error = ctl_reply_error(reply);
	int result = CTL_OK;
	if (error && strcmp(error, "unknown_user") == 0)
		result = ctl_fail("no user '%s'", user);
	else if (error && strcmp(error, "not_found") == 0)
		result = ctl_fail("no session with id '%s'", id);
	else if (error)
		result = ctl_reply_failure(reply);
	else {
		json_int_t closed = json_integer_value(json_object_get(reply, "closed"));
		printf("%" JSON_INTEGER_FORMAT " session%s closed", closed, closed == 1 ? "" : "s");
		if (user && closed == 0)
			printf(" ('%s' has no open session)", user);
		putchar('\n');
	}
	json_decref(reply);
	return result;
}

static const struct {
	const char *name;
	ctl_command_fn run;
} sessions_commands[] = {
    {"list", sessions_list},
    {"kick", sessions_kick},
};

int ctl_cmd_sessions(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage("sessions: missing subcommand (list, kick)");
	for (size_t i = 0; i < sizeof(sessions_commands) / sizeof(sessions_commands[0]); i++) {
		if (strcmp(argv[1], sessions_commands[i].name) == 0)
			return sessions_commands[i].run(ctl, argc - 1, argv + 1);
	}
	return ctl_usage("sessions: unknown subcommand '%s'", argv[1]);
}
