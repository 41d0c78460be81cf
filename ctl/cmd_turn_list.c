/*
 * cmd_turn_list.c: "icegatectl turn list-revoked [--json]". The table is for
 * people; --json is for scripts, an array of objects whose "kind" says
 * whether a row refuses every credential of a subject (up to an expiry) or one
 * username.
 */
#include "ctl/ctl.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct revocation_rows {
	struct store_turn_revocation *rows; /* owned, count entries */
	size_t count, capacity;
	int out_of_memory;
};

static void collect_revocation(const struct store_turn_revocation *revocation, void *arg)
{
	struct revocation_rows *rows = arg;
	if (rows->out_of_memory)
		return;
	if (rows->count == rows->capacity) {
		size_t capacity = rows->capacity ? rows->capacity * 2 : 16;
		struct store_turn_revocation *grown =
		    realloc(rows->rows, capacity * sizeof(*grown));
		if (!grown) {
			rows->out_of_memory = 1;
			return;
		}
		rows->rows = grown;
		rows->capacity = capacity;
	}
	rows->rows[rows->count++] = *revocation;
}

static void print_table(const struct revocation_rows *rows)
{
	size_t name_width = strlen("NAME");
	for (size_t i = 0; i < rows->count; i++) {
		size_t width = ctl_display_width(rows->rows[i].name);
		if (width > name_width)
			name_width = width;
	}
	size_t kind_width = strlen("username"), time_width = strlen("2000-01-01 00:00:00Z");
	ctl_print_padded("KIND", kind_width);
	ctl_print_padded("NAME", name_width);
	ctl_print_padded("REVOKED", time_width);
	puts("EXPIRING UP TO");
	for (size_t i = 0; i < rows->count; i++) {
		const struct store_turn_revocation *row = &rows->rows[i];
		char revoked[32], through[32];
		ctl_format_time(row->revoked_at, revoked, sizeof(revoked));
		if (row->is_subject)
			ctl_format_time(row->expiry_through, through, sizeof(through));
		else
			snprintf(through, sizeof(through), "-");
		ctl_print_padded(row->is_subject ? "subject" : "username", kind_width);
		ctl_print_padded(row->name, name_width);
		ctl_print_padded(revoked, time_width);
		puts(through);
	}
}

static json_t *revocation_to_json(const void *item)
{
	const struct store_turn_revocation *row = item;
	if (row->is_subject)
		return json_pack("{s:s, s:s, s:I, s:I}", "kind", "subject", "subject", row->name,
		                 "revoked_at", (json_int_t)row->revoked_at, "expiry_through",
		                 (json_int_t)row->expiry_through);
	return json_pack("{s:s, s:s, s:I}", "kind", "username", "username", row->name, "revoked_at",
	                 (json_int_t)row->revoked_at);
}

int ctl_turn_list_revoked(struct ctl *ctl, int argc, char **argv)
{
	int json = 0;
	if (ctl_list_options("turn list-revoked", argc, argv, &json) < 0)
		return CTL_USAGE;
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;

	struct revocation_rows rows = {0};
	int result = CTL_OK;
	if (store_turn_revocations_list(ctl->store, collect_revocation, &rows) < 0)
		result = ctl_fail("%s", store_error(ctl->store));
	else if (rows.out_of_memory)
		result = ctl_fail("out of memory");
	else if (json)
		result = ctl_print_json_rows(rows.rows, rows.count, sizeof(rows.rows[0]),
		                             revocation_to_json);
	else
		print_table(&rows);
	free(rows.rows);
	return result;
}
