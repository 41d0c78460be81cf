/*
 * main.c: icegatectl's entry point, the administration tool for icegate. It
 * reads the same configuration as the daemon (to find the same database),
 * then runs one command from the table below: most work on the store
 * directly, and a running daemon picks the changes up by itself; the live
 * ones (status, sessions, rooms) ask the running daemon over its control
 * socket. Exit codes: 0 success, 1 the
 * command failed, 2 the command line was wrong.
 */
#include "ctl/ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: icegatectl [options] COMMAND [arguments]\n"
    "\n"
    "Administers icegate's users, tokens, TURN credentials, API keys and JWT secret\n"
    "in its database, and shows and controls the running daemon.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   read the daemon's configuration file (for db_path, secret)\n"
    "      --db PATH       use this database file instead of the configured one\n"
    "  -h, --help          show this help\n"
    "      --version       show the version\n"
    "\n"
    "Commands:\n"
    "  user add NAME [--role ROLE] [--password-stdin]\n"
    "                      create a user; ROLE is sender, receiver or sender,receiver\n"
    "                      (default both). The password is asked twice on the\n"
    "                      terminal, or read from standard input with --password-stdin\n"
    "  user list [--json]  list users: name, roles, status, creation time\n"
    "  user del NAME       delete a user and revoke their refresh tokens\n"
    "  user passwd NAME [--password-stdin]\n"
    "                      set a new password (ends the user's refresh tokens)\n"
    "  user disable NAME   block logins and close the user's sessions\n"
    "  user enable NAME    allow logins again\n"
    "  user role NAME ROLE set the user's roles\n"
    "  token NAME [--ttl SECONDS] [--room ROOM]\n"
    "                      print an access token for NAME (default lifetime:\n"
    "                      access_token_ttl), limited to ROOM if given\n"
    "  turn revoke --user NAME\n"
    "                      refuse every TURN credential NAME holds now and close\n"
    "                      NAME's sessions\n"
    "  turn revoke --username EXPIRY:SUBJECT\n"
    "                      refuse one TURN credential\n"
    "  turn list-revoked [--json]\n"
    "                      list TURN revocations\n"
    "  turn check [FILE]   check coturn's turnserver.conf (default: turnserver_conf)\n"
    "                      against this configuration and say what to change\n"
    "  apikey add NAME     create an API key and print it (only this once)\n"
    "  apikey list [--json]\n"
    "                      list API keys: name and creation time\n"
    "  apikey del NAME     delete an API key\n"
    "  secret rotate [--now]\n"
    "                      replace the JWT secret kept in the database; tokens\n"
    "                      signed with the old one stay valid until they expire,\n"
    "                      unless --now. Also updates the TURN secrets\n"
    "\n"
    "Commands for the running daemon (through its control socket, control_socket):\n"
    "  status [--json]     version, uptime, listening addresses, connections,\n"
    "                      sessions, rooms and peers\n"
    "  sessions list [--room ROOM] [--json]\n"
    "                      WebSocket sessions: peer id, user, roles, room, address,\n"
    "                      connection time, messages in/out\n"
    "  sessions kick ID    close one session (4403 \"kicked by an administrator\")\n"
    "  sessions kick --user NAME\n"
    "                      close every session of NAME (0 closed is not an error)\n"
    "  rooms list [--json] rooms with their peer and sender counts\n"
    "  doctor [--turnserver-conf FILE]\n"
    "                      check the configuration, coturn's turnserver.conf, file\n"
    "                      permissions, certificates, the database and the daemon,\n"
    "                      and say what to fix (exit 1 when something fails)\n"
    "\n"
    "Exit status: 0 on success, 1 if the command failed, 2 on a usage error.\n";

static const struct {
	const char *name;
	ctl_command_fn run;
} commands[] = {
    {"user", ctl_cmd_user},         {"token", ctl_cmd_token},   {"turn", ctl_cmd_turn},
    {"apikey", ctl_cmd_apikey},     {"secret", ctl_cmd_secret}, {"status", ctl_cmd_status},
    {"sessions", ctl_cmd_sessions}, {"rooms", ctl_cmd_rooms},   {"doctor", ctl_cmd_doctor},
};

enum { OPTION_DB = 256, OPTION_VERSION };

/* Parses the global options into ctl->cfg. Returns -1 to go on with the
 * command at argv[optind], or the exit code to stop with. */
static int parse_global_options(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"db", required_argument, NULL, OPTION_DB},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPTION_VERSION},
	    {NULL, 0, NULL, 0},
	};
	/* '+': stop at the command, whose own options are parsed by it. */
	const struct ctl_options options = {NULL, "+c:h", longs};
	const char *db_path = NULL;
	char err[1024];
	int option;
	config_defaults(&ctl->cfg);
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		switch (option) {
		case '?':
			return CTL_USAGE;
		case 'h':
			fputs(usage_text, stdout);
			return CTL_OK;
		case OPTION_VERSION:
			printf("icegatectl %s\n", ICEGATE_VERSION);
			return CTL_OK;
		case 'c':
			if (config_load_file(&ctl->cfg, optarg, err, sizeof(err)) != 0)
				return ctl_fail("%s", err);
			ctl->config_path = optarg;
			break;
		case OPTION_DB:
			db_path = optarg;
			break;
		}
	}
	/* --db wins over the file whatever the order of the two. */
	if (db_path && config_set(&ctl->cfg, "db_path", db_path, err, sizeof(err)) != 0)
		return ctl_usage("--db: %s", err);
	if (optind >= argc)
		return ctl_usage("missing command");
	return -1;
}

int main(int argc, char **argv)
{
	struct ctl ctl;
	memset(&ctl, 0, sizeof(ctl));
	int result = parse_global_options(&ctl, argc, argv);
	if (result >= 0)
		return result;

	const char *name = argv[optind];
	ctl_command_fn run = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0)
			run = commands[i].run;
	}
	if (!run)
		return ctl_usage("unknown command '%s'", name);
	result = run(&ctl, argc - optind, argv + optind);
	store_close(ctl.store);
	/* Whatever stdout is (a pipe, a full disk), its last write must land. */
	if (fflush(stdout) != 0 && result == CTL_OK)
		result = ctl_fail("writing the output failed");
	return result;
}
