/*
 * cmd_turn.c: "icegatectl turn ...", taking TURN credentials back and checking
 * coturn's configuration. A TURN credential is checked by coturn alone until
 * it expires, so revoking one writes a record the patched coturn consults on
 * every allocation; revoking a user's credentials also records an event so a
 * running daemon closes that user's sessions (which would otherwise fetch
 * fresh credentials). "turn check" reads turnserver.conf and says what to
 * change for coturn to accept the credentials icegate hands out.
 */
#include "ctl/ctl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { OPTION_USER = 256, OPTION_USERNAME };

static int revoke_user(struct ctl *ctl, const char *name)
{
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;
	int64_t now = (int64_t)time(NULL);
	int ttl = 0;
	if (store_turn_credential_ttl(ctl->store, &ttl) < 0)
		return ctl_fail("%s", store_error(ctl->store));
	int result = store_turn_revoke_user(ctl->store, name, now);
	if (result == 1)
		return ctl_fail("no user '%s'", name);
	if (result < 0)
		return ctl_fail("%s", store_error(ctl->store));
	char through[32];
	ctl_format_time(now + ttl, through, sizeof(through));
	printf("revoked the TURN credentials of user '%s' (every one expiring up to %s)\n", name,
	       through);
	return CTL_OK;
}

static int revoke_username(struct ctl *ctl, const char *username)
{
	char why[96];
	if (store_turn_username_check(username, why, sizeof(why)) < 0)
		return ctl_fail("invalid TURN username: %s", why);
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;
	if (store_turn_revoke_username(ctl->store, username, (int64_t)time(NULL)) < 0)
		return ctl_fail("%s", store_error(ctl->store));
	printf("revoked the TURN username '%s'\n", username);
	return CTL_OK;
}

static int turn_revoke(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"user", required_argument, NULL, OPTION_USER},
	    {"username", required_argument, NULL, OPTION_USERNAME},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {"turn revoke", "", longs};
	const char *user = NULL, *username = NULL;
	int option;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return CTL_USAGE;
		if (option == OPTION_USER)
			user = optarg;
		else
			username = optarg;
	}
	if (ctl_positionals(&options, argc, argv, 0, "") < 0)
		return CTL_USAGE;
	if ((user != NULL) == (username != NULL))
		return ctl_usage("turn revoke: expected one of --user NAME or --username "
		                 "EXPIRY:SUBJECT");
	return user ? revoke_user(ctl, user) : revoke_username(ctl, username);
}

static int turn_check(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {{NULL, 0, NULL, 0}};
	const struct ctl_options options = {"turn check", "", longs};
	ctl_options_start();
	if (ctl_next_option(&options, argc, argv) != -1)
		return CTL_USAGE;
	int remaining = argc - optind;
	if (remaining > 1)
		return ctl_usage("turn check: unexpected argument '%s'", argv[optind + 1]);
	char err[CONFIG_PATH_MAX + 64];
	if (remaining == 1 &&
	    config_set(&ctl->cfg, "turnserver_conf", argv[optind], err, sizeof(err)) != 0)
		return ctl_usage("turn check: %s", err);
	if (ctl->cfg.turnserver_conf[0] == '\0')
		return ctl_usage("turn check: no file given and turnserver_conf is not set");

	char report[8192];
	int problems = config_check_turnserver_file(&ctl->cfg, report, sizeof(report));
	if (problems < 0)
		return ctl_fail("%s", report);
	if (problems == 0) {
		printf("%s agrees with icegate's configuration\n", ctl->cfg.turnserver_conf);
		return CTL_OK;
	}
	fputs(report, stdout);
	return ctl_fail("%s: %d problem%s to fix", ctl->cfg.turnserver_conf, problems,
	                problems == 1 ? "" : "s");
}

static const struct {
	const char *name;
	ctl_command_fn run;
} turn_commands[] = {
    {"revoke", turn_revoke},
    {"list-revoked", ctl_turn_list_revoked},
    {"check", turn_check},
};

int ctl_cmd_turn(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage("turn: missing subcommand (revoke, list-revoked, check)");
	for (size_t i = 0; i < sizeof(turn_commands) / sizeof(turn_commands[0]); i++) {
		if (strcmp(argv[1], turn_commands[i].name) == 0)
			return turn_commands[i].run(ctl, argc - 1, argv + 1);
	}
	return ctl_usage("turn: unknown subcommand '%s'", argv[1]);
}
