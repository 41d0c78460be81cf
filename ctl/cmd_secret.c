/*
 * cmd_secret.c: "icegatectl secret rotate [--now]", replacing the JWT secret
 * kept in the database. Without --now the old secret keeps verifying, so
 * tokens already out stay valid until they expire; with --now it is dropped
 * (a leaked secret), and every access token issued before ends at once. The
 * TURN shared secrets are derived from the JWT secrets, so the turn_secret
 * table is brought in line here as well: coturn accepts the new credentials
 * even when the daemon is down and cannot do it on noticing the rotation.
 */
#include "ctl/ctl.h"

#include "auth/secret.h"
#include "auth/token.h"
#include "auth/turncred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The window the running daemon derives secrets for (it records it at
 * start), so rows written here match the ones it writes; this program's own
 * configuration only when no daemon ever ran on the database. */
static int daemon_secret_window(struct ctl *ctl)
{
	char value[32];
	if (store_setting_get(ctl->store, STORE_TURN_WINDOW_SETTING, value, sizeof(value)) == 0) {
		int window = atoi(value);
		if (window > 0)
			return window;
	}
	return ctl->cfg.turn_secret_window;
}

/* Rewrites turn_secret for the rotated ring. Returns CTL_OK or the exit code
 * after printing the error. */
static int sync_turn_secrets(struct ctl *ctl)
{
	struct token_keyring ring;
	char err[512];
	int generated = 0;
	int result = CTL_OK;
	if (secret_load_keyring(&ctl->cfg, ctl->store, &ring, &generated, err, sizeof(err)) != 0)
		result =
		    ctl_fail("the JWT secret was rotated, but loading it back failed: %s", err);
	else if (turncred_sync_secrets(ctl->store, &ring, ctl->cfg.realm, daemon_secret_window(ctl),
	                               (int64_t)time(NULL)) != 0)
		result =
		    ctl_fail("the JWT secret was rotated, but updating the TURN secrets failed "
		             "(the daemon updates them when it notices the rotation): %s",
		             store_error(ctl->store));
	else
		printf("updated the TURN secrets of realm '%s' for %d key%s\n", ctl->cfg.realm,
		       ring.count, ring.count == 1 ? "" : "s");
	explicit_bzero(&ring, sizeof(ring));
	return result;
}

static int secret_rotate_command(struct ctl *ctl, int argc, char **argv)
{
	enum { OPTION_NOW = 256 };
	static const struct option longs[] = {
	    {"now", no_argument, NULL, OPTION_NOW},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {"secret rotate", "", longs};
	int now = 0, option;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return CTL_USAGE;
		now = 1;
	}
	if (ctl_positionals(&options, argc, argv, 0, "") < 0)
		return CTL_USAGE;
	char err[512];
	/* Refuse a configured secret before touching the database at all. */
	if (ctl->cfg.jwt_secret[0] != '\0' && secret_rotate(&ctl->cfg, NULL, now, err, sizeof(err)))
		return ctl_fail("%s", err);
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;
	if (secret_rotate(&ctl->cfg, ctl->store, now, err, sizeof(err)) != 0)
		return ctl_fail("%s", err);
	if (now)
		puts("rotated the JWT secret and dropped the previous one: access tokens issued "
		     "before now are refused");
	else
		puts("rotated the JWT secret: new access tokens are signed with the new one; "
		     "tokens signed with the old one stay valid until they expire");
	return sync_turn_secrets(ctl);
}

static const struct {
	const char *name;
	ctl_command_fn run;
} secret_commands[] = {
    {"rotate", secret_rotate_command},
};

int ctl_cmd_secret(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage("secret: missing subcommand (rotate)");
	for (size_t i = 0; i < sizeof(secret_commands) / sizeof(secret_commands[0]); i++) {
		if (strcmp(argv[1], secret_commands[i].name) == 0)
			return secret_commands[i].run(ctl, argc - 1, argv + 1);
	}
	return ctl_usage("secret: unknown subcommand '%s'", argv[1]);
}
