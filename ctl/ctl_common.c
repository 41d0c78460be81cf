/*
 * ctl_common.c: the helpers every icegatectl command uses: error and usage
 * messages, opening the store, role lists, times, table and JSON output, user
 * lookups and the getopt wrapper that gives every subcommand the same option
 * handling.
 */
#include "ctl/ctl.h"

#include "auth/roles.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int ctl_fail(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fputs("icegatectl: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	return CTL_FAILURE;
}

int ctl_usage(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fputs("icegatectl: ", stderr);
	vfprintf(stderr, fmt, args);
	fputs("\nTry 'icegatectl --help' for more information.\n", stderr);
	va_end(args);
	return CTL_USAGE;
}

int ctl_open_store(struct ctl *ctl)
{
	if (ctl->store)
		return 0;
	char err[1024];
	ctl->store = store_open(ctl->cfg.db_path, err, sizeof(err));
	if (!ctl->store) {
		ctl_fail("%s", err);
		return -1;
	}
	return 0;
}

int ctl_parse_roles(const char *text, char *out, size_t out_size)
{
	unsigned roles = roles_parse_list(text);
	if (roles == 0 || roles_format(roles, out, out_size) != 0) {
		ctl_usage("invalid role '%s': expected sender, receiver or sender,receiver", text);
		return -1;
	}
	return 0;
}

void ctl_format_time(int64_t seconds, char *out, size_t out_size)
{
	time_t when = (time_t)seconds;
	struct tm utc;
	if (!gmtime_r(&when, &utc) || strftime(out, out_size, "%Y-%m-%d %H:%M:%SZ", &utc) == 0)
		snprintf(out, out_size, "%lld", (long long)seconds);
}

/* Columns line up by character, not byte, so non-ASCII names align. */
size_t ctl_display_width(const char *text)
{
	size_t width = 0;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		width += (*c & 0xc0) != 0x80;
	return width;
}

void ctl_print_padded(const char *text, size_t width)
{
	fputs(text, stdout);
	for (size_t pad = ctl_display_width(text); pad < width + 2; pad++)
		fputc(' ', stdout);
}

int ctl_print_json(json_t *value)
{
	char *text = value ? json_dumps(value, JSON_INDENT(2)) : NULL;
	json_decref(value);
	if (!text)
		return ctl_fail("out of memory");
	puts(text);
	free(text);
	return CTL_OK;
}

int ctl_print_json_rows(const void *rows, size_t count, size_t size,
                        json_t *(*to_json)(const void *row))
{
	json_t *array = json_array();
	for (size_t i = 0; array && i < count; i++) {
		/* A NULL object (out of memory) makes the append fail. */
		if (json_array_append_new(array, to_json((const char *)rows + i * size)) != 0) {
			json_decref(array);
			array = NULL;
		}
	}
	return ctl_print_json(array);
}

int ctl_find_user(struct ctl *ctl, const char *name, struct store_user *out)
{
	if (ctl_open_store(ctl) < 0)
		return -1;
	int found = store_user_get(ctl->store, name, out);
	if (found == 1)
		ctl_fail("no user '%s'", name);
	else if (found < 0)
		ctl_fail("%s", store_error(ctl->store));
	return found == 0 ? 0 : -1;
}

void ctl_options_start(void)
{
	/* 0, not 1: tells glibc to reinitialise its scanning state as well. */
	optind = 0;
	opterr = 0;
}

int ctl_next_option(const struct ctl_options *options, int argc, char **argv)
{
	/* A leading ':' makes getopt report a missing value apart from an unknown
	 * option; it must follow the '+' that stops at the first argument. */
	char short_options[32];
	const char *rest = options->short_options;
	int stop_at_argument = rest[0] == '+';
	snprintf(short_options, sizeof(short_options), "%s:%s", stop_at_argument ? "+" : "",
	         rest + stop_at_argument);
	int option = getopt_long(argc, argv, short_options, options->longs, NULL);
	/* The global options have no command name to put first. */
	const char *command = options->command ? options->command : "";
	const char *separator = options->command ? ": " : "";
	if (option == ':') {
		ctl_usage("%s%soption '%s' needs a value", command, separator, argv[optind - 1]);
		return '?';
	}
	if (option == '?') {
		if (optopt)
			ctl_usage("%s%sunknown option '-%c'", command, separator, optopt);
		else
			ctl_usage("%s%sunknown option '%s'", command, separator, argv[optind - 1]);
		return '?';
	}
	return option;
}

int ctl_positionals(const struct ctl_options *options, int argc, char **argv, int count,
                    const char *names)
{
	int remaining = argc - optind;
	if (remaining < count) {
		ctl_usage("%s: missing argument; expected %s", options->command, names);
		return -1;
	}
	if (remaining > count) {
		ctl_usage("%s: unexpected argument '%s'", options->command, argv[optind + count]);
		return -1;
	}
	return optind;
}

int ctl_name_argument(const struct ctl_options *options, int argc, char **argv)
{
	ctl_options_start();
	if (ctl_next_option(options, argc, argv) != -1)
		return -1;
	return ctl_positionals(options, argc, argv, 1, "NAME");
}

int ctl_list_options(const char *command, int argc, char **argv, int *json)
{
	static const struct option longs[] = {
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {command, "", longs};
	int option;
	*json = 0;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return -1;
		*json = 1;
	}
	return ctl_positionals(&options, argc, argv, 0, "") < 0 ? -1 : 0;
}
