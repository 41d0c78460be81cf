/*
 * cmd_rooms.c: "icegatectl rooms list [--json]", the running daemon's rooms
 * by name, with how many peers each holds and how many of them send. A room
 * exists while it has members, so an empty list means nobody has joined.
 */
#include "ctl/ctl.h"

#include <stdio.h>
#include <string.h>

static void print_table(const json_t *rooms)
{
	size_t width = strlen("ROOM");
	size_t index;
	const json_t *room;
	json_array_foreach(rooms, index, room)
	{
		const char *name = json_string_value(json_object_get(room, "room"));
		if (name && ctl_display_width(name) > width)
			width = ctl_display_width(name);
	}
	ctl_print_padded("ROOM", width);
	ctl_print_padded("PEERS", strlen("PEERS"));
	puts("SENDERS");
	json_array_foreach(rooms, index, room)
	{
		const char *name = json_string_value(json_object_get(room, "room"));
		char peers[32];
		snprintf(peers, sizeof(peers), "%" JSON_INTEGER_FORMAT,
		         json_integer_value(json_object_get(room, "peers")));
		ctl_print_padded(name ? name : "?", width);
		ctl_print_padded(peers, strlen("PEERS"));
		printf("%" JSON_INTEGER_FORMAT "\n",
		       json_integer_value(json_object_get(room, "senders")));
	}
}

static int rooms_list(struct ctl *ctl, int argc, char **argv)
{
	int json = 0;
	if (ctl_list_options("rooms list", argc, argv, &json) < 0)
		return CTL_USAGE;
	return ctl_control_show(ctl, json_pack("{s:s}", "cmd", "rooms"), "rooms", json,
	                        print_table);
}

int ctl_cmd_rooms(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage("rooms: missing subcommand (list)");
	if (strcmp(argv[1], "list") != 0)
		return ctl_usage("rooms: unknown subcommand '%s'", argv[1]);
	return rooms_list(ctl, argc - 1, argv + 1);
}
