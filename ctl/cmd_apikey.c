/*
 * cmd_apikey.c: "icegatectl apikey ...", keys for programs that call the REST
 * API. A key is "igk_" and 32 random bytes in Base64url; it is printed once,
 * alone on stdout so a script can capture it, and only its SHA-256 (lowercase
 * hex of the whole key text, prefix included) is stored, which is what the
 * daemon computes from a presented key to look it up. Listing shows names and
 * creation times, never keys.
 */
#include "ctl/ctl.h"

#include "auth/apikey.h"

#include <jansson.h>
#include <openssl/crypto.h>

#include <stdio.h>
#include <string.h>

static int apikey_add(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {{NULL, 0, NULL, 0}};
	const struct ctl_options options = {"apikey add", "", longs};
	int first = ctl_name_argument(&options, argc, argv);
	if (first < 0)
		return CTL_USAGE;
	const char *name = argv[first];
	char why[128];
	if (store_user_name_check(name, why, sizeof(why)) < 0)
		return ctl_fail("invalid API key name: %s", why);
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;

	char key[APIKEY_MAX], hash[STORE_APIKEY_HASH_MAX];
	int result = CTL_OK;
	if (apikey_generate(key, hash) != 0) {
		result = ctl_fail("could not generate an API key: no randomness");
	} else {
		int added = store_apikey_add(ctl->store, name, hash);
		if (added == 1)
			result = ctl_fail("API key '%s' already exists", name);
		else if (added < 0)
			result = ctl_fail("%s", store_error(ctl->store));
	}
	if (result == CTL_OK) {
		puts(key);
		fprintf(stderr, "added API key '%s': keep it now, it cannot be shown again\n",
		        name);
	}
	OPENSSL_cleanse(key, sizeof(key));
	return result;
}

/* Keys are collected as JSON either way: --json prints it, the table is
 * laid out from it once the widest name is known. */
struct apikey_rows {
	json_t *array; /* owned */
	int out_of_memory;
};

static void collect_apikey(const struct store_apikey *key, void *arg)
{
	struct apikey_rows *rows = arg;
	json_t *object =
	    json_pack("{s:s, s:I}", "name", key->name, "created_at", (json_int_t)key->created_at);
	if (!object || json_array_append_new(rows->array, object) != 0)
		rows->out_of_memory = 1;
}

static void print_table(json_t *array)
{
	size_t name_width = strlen("NAME"), index;
	json_t *key;
	json_array_foreach(array, index, key)
	{
		size_t width = ctl_display_width(json_string_value(json_object_get(key, "name")));
		if (width > name_width)
			name_width = width;
	}
	ctl_print_padded("NAME", name_width);
	puts("CREATED");
	json_array_foreach(array, index, key)
	{
		char created[32];
		ctl_format_time(json_integer_value(json_object_get(key, "created_at")), created,
		                sizeof(created));
		ctl_print_padded(json_string_value(json_object_get(key, "name")), name_width);
		puts(created);
	}
}

static int apikey_list(struct ctl *ctl, int argc, char **argv)
{
	int json = 0;
	if (ctl_list_options("apikey list", argc, argv, &json) < 0)
		return CTL_USAGE;
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;
	struct apikey_rows rows = {json_array(), 0};
	if (!rows.array)
		return ctl_fail("out of memory");
	int result = CTL_OK;
	if (store_apikey_list(ctl->store, collect_apikey, &rows) < 0)
		result = ctl_fail("%s", store_error(ctl->store));
	else if (rows.out_of_memory)
		result = ctl_fail("out of memory");
	else if (json)
		return ctl_print_json(rows.array);
	else
		print_table(rows.array);
	json_decref(rows.array);
	return result;
}

static int apikey_del(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {{NULL, 0, NULL, 0}};
	const struct ctl_options options = {"apikey del", "", longs};
	int first = ctl_name_argument(&options, argc, argv);
	if (first < 0)
		return CTL_USAGE;
	const char *name = argv[first];
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;
	int result = store_apikey_delete(ctl->store, name);
	if (result == 1)
		return ctl_fail("no API key '%s'", name);
	if (result < 0)
		return ctl_fail("%s", store_error(ctl->store));
	printf("deleted API key '%s'\n", name);
	return CTL_OK;
}

static const struct {
	const char *name;
	ctl_command_fn run;
} apikey_commands[] = {
    {"add", apikey_add},
    {"list", apikey_list},
    {"del", apikey_del},
};

int ctl_cmd_apikey(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage("apikey: missing subcommand (add, list, del)");
	for (size_t i = 0; i < sizeof(apikey_commands) / sizeof(apikey_commands[0]); i++) {
		if (strcmp(argv[1], apikey_commands[i].name) == 0)
			return apikey_commands[i].run(ctl, argc - 1, argv + 1);
	}
	return ctl_usage("apikey: unknown subcommand '%s'", argv[1]);
}
