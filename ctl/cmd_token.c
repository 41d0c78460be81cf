/*
 * cmd_token.c: "icegatectl token NAME [--ttl SECONDS] [--room ROOM]", minting
 * an access token for an existing, enabled user without a password, for
 * operators and scripts (a test client, a kiosk). The token is signed with the
 * same key ring the daemon uses (configured secret, or the one kept in the
 * database) and is the only thing printed on stdout, so it can be captured
 * with $(...). Anyone who can run this against the database can mint tokens:
 * the database file must be protected like the secret itself.
 */
#include "ctl/ctl.h"

#include "auth/roles.h"
#include "auth/secret.h"
#include "auth/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROOM_NAME_MAX 64

/* The protocol's room names: 1-64 characters of A-Z a-z 0-9 _ - . */
static int room_name_ok(const char *room)
{
	size_t length = strlen(room);
	if (length == 0 || length > ROOM_NAME_MAX)
		return 0;
	for (const char *c = room; *c; c++) {
		int letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
		int digit = *c >= '0' && *c <= '9';
		if (!letter && !digit && *c != '_' && *c != '-' && *c != '.')
			return 0;
	}
	return 1;
}

/* Parses --ttl: whole seconds in 1..86400, like access_token_ttl. */
static int parse_ttl(const char *text, int *out)
{
	char *end = NULL;
	long value = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || value < 1 || value > 86400)
		return -1;
	*out = (int)value;
	return 0;
}

static int issue(struct ctl *ctl, const struct store_user *user, int ttl, const char *room)
{
	struct token_keyring ring;
	memset(&ring, 0, sizeof(ring));
	char err[512];
	int generated = 0;
	if (secret_load_keyring(&ctl->cfg, ctl->store, &ring, &generated, err, sizeof(err)) != 0) {
		explicit_bzero(&ring, sizeof(ring));
		return ctl_fail("%s", err);
	}

	struct token_claims claims;
	memset(&claims, 0, sizeof(claims));
	snprintf(claims.subject, sizeof(claims.subject), "%s", user->name);
	snprintf(claims.room, sizeof(claims.room), "%s", room ? room : "");
	claims.roles = roles_parse_list(user->roles);
	char *token = NULL;
	int result = CTL_OK;
	if (claims.roles == 0)
		result = ctl_fail("user '%s' has unknown roles '%s'", user->name, user->roles);
	else if (token_issue(&ring, &claims, (int64_t)time(NULL), ttl, &token) != 0)
		result = ctl_fail("issuing the token failed");
	explicit_bzero(&ring, sizeof(ring));
	if (result != CTL_OK)
		return result;
	puts(token);
	explicit_bzero(token, strlen(token));
	free(token);
	return CTL_OK;
}

int ctl_cmd_token(struct ctl *ctl, int argc, char **argv)
{
	enum { OPTION_TTL = 256, OPTION_ROOM };
	static const struct option longs[] = {
	    {"ttl", required_argument, NULL, OPTION_TTL},
	    {"room", required_argument, NULL, OPTION_ROOM},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {"token", "", longs};
	int ttl = ctl->cfg.access_token_ttl, option;
	const char *room = NULL;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return CTL_USAGE;
		if (option == OPTION_TTL && parse_ttl(optarg, &ttl) < 0)
			return ctl_usage("token: --ttl must be a number of seconds in 1..86400");
		if (option == OPTION_ROOM) {
			if (!room_name_ok(optarg))
				return ctl_usage("token: --room must be 1-64 characters of A-Z a-z "
				                 "0-9 _ - .");
			room = optarg;
		}
	}
	int first = ctl_positionals(&options, argc, argv, 1, "NAME");
	if (first < 0)
		return CTL_USAGE;
	struct store_user user;
	if (ctl_find_user(ctl, argv[first], &user) < 0)
		return CTL_FAILURE;
	explicit_bzero(user.password_hash, sizeof(user.password_hash));
	if (user.disabled)
		return ctl_fail("user '%s' is disabled", user.name);
	return issue(ctl, &user, ttl, room);
}
