/*
 * cmd_user_list.c: "icegatectl user list [--json]". The table is for people;
 * --json is for scripts, an array of objects with the same facts in stable
 * types. Password hashes never leave the store through either.
 */
#include "ctl/ctl.h"

#include "auth/roles.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct user_rows {
	struct store_user *users; /* owned, count entries */
	size_t count, capacity;
	int out_of_memory;
};

static void collect_user(const struct store_user *user, void *arg)
{
	struct user_rows *rows = arg;
	if (rows->out_of_memory)
		return;
	if (rows->count == rows->capacity) {
		size_t capacity = rows->capacity ? rows->capacity * 2 : 16;
		struct store_user *grown = realloc(rows->users, capacity * sizeof(*grown));
		if (!grown) {
			rows->out_of_memory = 1;
			return;
		}
		rows->users = grown;
		rows->capacity = capacity;
	}
	rows->users[rows->count] = *user;
	/* The hash is not needed here; keep it out of this process's copies. */
	explicit_bzero(rows->users[rows->count].password_hash,
	               sizeof(rows->users[rows->count].password_hash));
	rows->count++;
}

static void print_table(const struct user_rows *rows)
{
	size_t name_width = strlen("NAME"), roles_width = strlen("ROLES");
	for (size_t i = 0; i < rows->count; i++) {
		size_t width = ctl_display_width(rows->users[i].name);
		if (width > name_width)
			name_width = width;
		if (strlen(rows->users[i].roles) > roles_width)
			roles_width = strlen(rows->users[i].roles);
	}
	ctl_print_padded("NAME", name_width);
	ctl_print_padded("ROLES", roles_width);
	ctl_print_padded("STATUS", strlen("disabled"));
	puts("CREATED");
	for (size_t i = 0; i < rows->count; i++) {
		const struct store_user *user = &rows->users[i];
		char created[32];
		ctl_format_time(user->created_at, created, sizeof(created));
		ctl_print_padded(user->name, name_width);
		ctl_print_padded(user->roles, roles_width);
		ctl_print_padded(user->disabled ? "disabled" : "enabled", strlen("disabled"));
		puts(created);
	}
}

static json_t *user_to_json(const void *row)
{
	const struct store_user *user = row;
	unsigned roles = roles_parse_list(user->roles);
	json_t *role_list = json_array();
	if (!role_list)
		return NULL;
	if (roles & ROLE_SENDER)
		json_array_append_new(role_list, json_string("sender"));
	if (roles & ROLE_RECEIVER)
		json_array_append_new(role_list, json_string("receiver"));
	return json_pack("{s:I, s:s, s:o, s:b, s:I}", "id", (json_int_t)user->id, "name",
	                 user->name, "roles", role_list, "disabled", user->disabled, "created_at",
	                 (json_int_t)user->created_at);
}

int ctl_user_list(struct ctl *ctl, int argc, char **argv)
{
	int json = 0;
	if (ctl_list_options("user list", argc, argv, &json) < 0)
		return CTL_USAGE;
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;

	struct user_rows rows = {0};
	int result = CTL_OK;
	if (store_user_list(ctl->store, collect_user, &rows) < 0)
		result = ctl_fail("%s", store_error(ctl->store));
	else if (rows.out_of_memory)
		result = ctl_fail("out of memory");
	else if (json)
		result = ctl_print_json_rows(rows.users, rows.count, sizeof(rows.users[0]),
		                             user_to_json);
	else
		print_table(&rows);
	free(rows.users);
	return result;
}
