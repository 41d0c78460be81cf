/*
 * cmd_status.c: "icegatectl status [--json]", the running daemon's vital
 * signs: version, process, uptime, where it listens, and how many
 * connections, sessions, rooms and peers it holds right now. The daemon
 * answers over its control socket; --json prints its answer unchanged.
 */
#include "ctl/ctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static json_int_t integer(const json_t *reply, const char *name)
{
	return json_integer_value(json_object_get(reply, name));
}

/* "3d 4h 5m 6s", leaving out leading zero units. */
static void format_duration(json_int_t seconds, char *out, size_t out_size)
{
	json_int_t days = seconds / 86400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60;
	if (days > 0)
		snprintf(out, out_size,
		         "%" JSON_INTEGER_FORMAT "d %" JSON_INTEGER_FORMAT "h "
		         "%" JSON_INTEGER_FORMAT "m %" JSON_INTEGER_FORMAT "s",
		         days, hours, minutes, seconds % 60);
	else if (hours > 0)
		snprintf(out, out_size,
		         "%" JSON_INTEGER_FORMAT "h %" JSON_INTEGER_FORMAT "m %" JSON_INTEGER_FORMAT
		         "s",
		         hours, minutes, seconds % 60);
	else if (minutes > 0)
		snprintf(out, out_size, "%" JSON_INTEGER_FORMAT "m %" JSON_INTEGER_FORMAT "s",
		         minutes, seconds % 60);
	else
		snprintf(out, out_size, "%" JSON_INTEGER_FORMAT "s", seconds);
}

static void print_status(const json_t *reply)
{
	char uptime[64], since[32];
	format_duration(integer(reply, "uptime_seconds"), uptime, sizeof(uptime));
	ctl_format_time(integer(reply, "started_at"), since, sizeof(since));
	const json_t *listening = json_object_get(reply, "listening");
	const char *signaling = json_string_value(json_object_get(listening, "signaling"));
	const char *metrics = json_string_value(json_object_get(listening, "metrics"));
	int tls = json_is_true(json_object_get(reply, "tls"));
	const char *version = json_string_value(json_object_get(reply, "version"));

	printf("icegate %s, pid %" JSON_INTEGER_FORMAT "\n", version ? version : "?",
	       integer(reply, "pid"));
	printf("uptime       %s (since %s)\n", uptime, since);
	printf("listening    %s (%s)\n", signaling ? signaling : "-",
	       tls ? "HTTPS and WSS" : "HTTP and WS, no TLS");
	if (metrics)
		printf("metrics      %s\n", metrics);
	printf("connections  %" JSON_INTEGER_FORMAT "\n", integer(reply, "connections"));
	printf("sessions     %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT " authenticated)\n",
	       integer(reply, "sessions"), integer(reply, "authenticated_sessions"));
	printf("rooms        %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT " peers)\n",
	       integer(reply, "rooms"), integer(reply, "peers"));
}

int ctl_cmd_status(struct ctl *ctl, int argc, char **argv)
{
	int json = 0;
	if (ctl_list_options("status", argc, argv, &json) < 0)
		return CTL_USAGE;
	return ctl_control_show(ctl, json_pack("{s:s}", "cmd", "status"), NULL, json, print_status);
}
