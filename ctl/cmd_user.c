/*
 * cmd_user.c: "icegatectl user ...", managing accounts in the store. Each
 * subcommand is a row of the table at the bottom with the same shape: parse
 * its options and arguments, check what can be checked before asking for a
 * password, then make one store call and report it. A running daemon notices
 * the change through the store's user events and ends affected sessions.
 */
#include "ctl/ctl.h"

#include "auth/password.h"

#include <stdio.h>
#include <string.h>

enum { OPTION_PASSWORD_STDIN = 256, OPTION_ROLE };

/* Reads a password as asked and hashes it into hash (PASSWORD_HASH_MAX). */
static int read_password_hash(int from_stdin, char *hash, size_t hash_size)
{
	char password[PASSWORD_MAX_LENGTH + 1];
	int result = ctl_password_read(from_stdin, password, sizeof(password));
	if (result == CTL_OK && password_hash(password, hash, hash_size) != 0)
		result = ctl_fail("hashing the password failed");
	explicit_bzero(password, sizeof(password));
	return result;
}

static int user_add(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"role", required_argument, NULL, OPTION_ROLE},
	    {"password-stdin", no_argument, NULL, OPTION_PASSWORD_STDIN},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {"user add", "", longs};
	const char *role_text = "sender,receiver";
	int from_stdin = 0, option;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return CTL_USAGE;
		if (option == OPTION_ROLE)
			role_text = optarg;
		else if (option == OPTION_PASSWORD_STDIN)
			from_stdin = 1;
	}
	int first = ctl_positionals(&options, argc, argv, 1, "NAME");
	if (first < 0)
		return CTL_USAGE;
	const char *name = argv[first];
	char roles[STORE_ROLES_MAX];
	if (ctl_parse_roles(role_text, roles, sizeof(roles)) < 0)
		return CTL_USAGE;

	/* Refuse what we can before the user types a password for nothing. */
	char why[128];
	if (store_user_name_check(name, why, sizeof(why)) < 0)
		return ctl_fail("invalid user name: %s", why);
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;
	struct store_user existing;
	int found = store_user_get(ctl->store, name, &existing);
	if (found < 0)
		return ctl_fail("%s", store_error(ctl->store));
	if (found == 0)
		return ctl_fail("user '%s' already exists", name);

	char hash[PASSWORD_HASH_MAX];
	int result = read_password_hash(from_stdin, hash, sizeof(hash));
	if (result != CTL_OK)
		return result;
	int added = store_user_add(ctl->store, name, hash, roles);
	explicit_bzero(hash, sizeof(hash));
	if (added != 0)
		return ctl_fail("%s", store_error(ctl->store));
	printf("added user '%s' with roles %s\n", name, roles);
	return CTL_OK;
}

static int user_passwd(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"password-stdin", no_argument, NULL, OPTION_PASSWORD_STDIN},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {"user passwd", "", longs};
	int from_stdin = 0, option;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return CTL_USAGE;
		from_stdin = 1;
	}
	int first = ctl_positionals(&options, argc, argv, 1, "NAME");
	if (first < 0)
		return CTL_USAGE;
	const char *name = argv[first];
	struct store_user user;
	if (ctl_find_user(ctl, name, &user) < 0)
		return CTL_FAILURE;

	char hash[PASSWORD_HASH_MAX];
	int result = read_password_hash(from_stdin, hash, sizeof(hash));
	if (result != CTL_OK)
		return result;
	int changed = store_user_set_password(ctl->store, name, hash);
	explicit_bzero(hash, sizeof(hash));
	if (changed != 0)
		return ctl_fail("%s", store_error(ctl->store));
	printf("changed the password of '%s'\n", name);
	return CTL_OK;
}

/* The shape of del, disable and enable: NAME, one store call, one line. */
static int user_change(struct ctl *ctl, int argc, char **argv, const char *command,
                       int (*change)(struct store *store, const char *name), const char *done)
{
	static const struct option longs[] = {{NULL, 0, NULL, 0}};
	const struct ctl_options options = {command, "", longs};
	int first = ctl_name_argument(&options, argc, argv);
	if (first < 0)
		return CTL_USAGE;
	const char *name = argv[first];
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;
	int result = change(ctl->store, name);
	if (result == 1)
		return ctl_fail("no user '%s'", name);
	if (result < 0)
		return ctl_fail("%s", store_error(ctl->store));
	printf("%s user '%s'\n", done, name);
	return CTL_OK;
}

static int disable_user(struct store *store, const char *name)
{
	return store_user_set_disabled(store, name, 1);
}

static int enable_user(struct store *store, const char *name)
{
	return store_user_set_disabled(store, name, 0);
}

static int user_del(struct ctl *ctl, int argc, char **argv)
{
	return user_change(ctl, argc, argv, "user del", store_user_delete, "deleted");
}

static int user_disable(struct ctl *ctl, int argc, char **argv)
{
	return user_change(ctl, argc, argv, "user disable", disable_user, "disabled");
}

static int user_enable(struct ctl *ctl, int argc, char **argv)
{
	return user_change(ctl, argc, argv, "user enable", enable_user, "enabled");
}

static int user_role(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {{NULL, 0, NULL, 0}};
	const struct ctl_options options = {"user role", "", longs};
	ctl_options_start();
	if (ctl_next_option(&options, argc, argv) != -1)
		return CTL_USAGE;
	int first = ctl_positionals(&options, argc, argv, 2, "NAME ROLE");
	if (first < 0)
		return CTL_USAGE;
	const char *name = argv[first];
	char roles[STORE_ROLES_MAX];
	if (ctl_parse_roles(argv[first + 1], roles, sizeof(roles)) < 0)
		return CTL_USAGE;
	if (ctl_open_store(ctl) < 0)
		return CTL_FAILURE;
	int result = store_user_set_roles(ctl->store, name, roles);
	if (result == 1)
		return ctl_fail("no user '%s'", name);
	if (result < 0)
		return ctl_fail("%s", store_error(ctl->store));
	printf("set the roles of '%s' to %s\n", name, roles);
	return CTL_OK;
}

static const struct {
	const char *name;
	ctl_command_fn run;
} user_commands[] = {
    {"add", user_add},       {"list", ctl_user_list},   {"del", user_del},
    {"passwd", user_passwd}, {"disable", user_disable}, {"enable", user_enable},
    {"role", user_role},
};

int ctl_cmd_user(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage("user: missing subcommand (add, list, del, passwd, disable, "
		                 "enable, role)");
	for (size_t i = 0; i < sizeof(user_commands) / sizeof(user_commands[0]); i++) {
		if (strcmp(argv[1], user_commands[i].name) == 0)
			return user_commands[i].run(ctl, argc - 1, argv + 1);
	}
	return ctl_usage("user: unknown subcommand '%s'", argv[1]);
}
