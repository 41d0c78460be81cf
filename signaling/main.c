/*
 * main.c: icegate's entry point. Reads the configuration (defaults, then the
 * file given with -c, then flags, so flags always win), opens the store, loads
 * the signing key, and runs the server until SIGTERM or SIGINT. SIGHUP reads
 * the configuration again from the same sources (signaling/reload.h).
 */
#include "auth/secret.h"
#include "common/log.h"
#include "config/config.h"
#include "db/store.h"
#include "signaling/reload.h"
#include "signaling/server.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char usage_text[] =
    "usage: icegate [options]\n"
    "\n"
    "WebRTC signaling server: WebSocket signaling and a REST API with JWT auth.\n"
    "\n"
    "  -c, --config FILE     read options from FILE (see etc/signaling.conf)\n"
    "  -k, --secret SECRET   JWT signing secret, at least 32 characters\n"
    "                        (default: generated once and kept in the database)\n"
    "  -p, --port PORT       listen address: 8080, :8080, HOST:8080 or [V6]:8080\n"
    "  -d, --domain DOMAIN   public host name (default localhost)\n"
    "      --db PATH         SQLite database file (default icegate.db)\n"
    "      --web-root DIR    demo pages and JavaScript client (default web)\n"
    "      --set KEY=VALUE   set any configuration option, as in the file\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Flags override the configuration file, whatever their order. SIGHUP reads\n"
    "the file and the certificate again; options that need a restart say so.\n";

enum { OPTION_DB = 256, OPTION_WEB_ROOT, OPTION_SET };

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"secret", required_argument, NULL, 'k'},
    {"port", required_argument, NULL, 'p'},
    {"domain", required_argument, NULL, 'd'},
    {"db", required_argument, NULL, OPTION_DB},
    {"web-root", required_argument, NULL, OPTION_WEB_ROOT},
    {"set", required_argument, NULL, OPTION_SET},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Applies one flag to cfg. Returns 0 or -1 with err filled. */
static int apply_flag(struct config *cfg, int option, const char *value, char *err, size_t size)
{
	switch (option) {
	case 'k':
		return config_set(cfg, "jwt_secret", value, err, size);
	case 'p':
		return config_set_listen(cfg, value, err, size);
	case 'd':
		return config_set(cfg, "domain", value, err, size);
	case OPTION_DB:
		return config_set(cfg, "db_path", value, err, size);
	case OPTION_WEB_ROOT:
		return config_set(cfg, "web_root", value, err, size);
	case OPTION_SET: {
		const char *equals = strchr(value, '=');
		if (!equals || equals == value) {
			snprintf(err, size, "--set needs KEY=VALUE, got '%s'", value);
			return -1;
		}
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(equals - value), value);
		return config_set(cfg, key, equals + 1, err, size);
	}
	}
	return 0;
}

/* The command line, kept so that a reload rebuilds the configuration from
 * the same sources. */
struct command_line {
	int argc;
	char **argv;
};

/* Answers --help and --version and rejects what is not an option. Returns 0
 * to go on, 1 to exit successfully, 2 on a usage error (already reported). */
static int check_command_line(int argc, char **argv)
{
	int option;
	opterr = 1;
	optind = 0;
	while ((option = getopt_long(argc, argv, "c:k:p:d:hV", long_options, NULL)) != -1) {
		if (option == '?')
			return 2;
		if (option == 'h') {
			fputs(usage_text, stdout);
			return 1;
		}
		if (option == 'V') {
			printf("icegate %s\n", ICEGATE_VERSION);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "icegate: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* Builds cfg from the defaults, then the -c file, then the flags, so flags
 * always win. Returns 0, or -1 with err filled. At start and on every reload
 * (server_config_loader); arg is the struct command_line. */
static int build_configuration(void *arg, struct config *cfg, char *err, size_t err_size)
{
	const struct command_line *line = arg;
	int option;
	config_defaults(cfg);
	opterr = 0;
	optind = 0;
	while ((option = getopt_long(line->argc, line->argv, "c:k:p:d:hV", long_options, NULL)) !=
	       -1)
		if (option == 'c' && config_load_file(cfg, optarg, err, err_size) != 0)
			return -1;
	optind = 0;
	while ((option = getopt_long(line->argc, line->argv, "c:k:p:d:hV", long_options, NULL)) !=
	       -1)
		if (apply_flag(cfg, option, optarg, err, err_size) != 0)
			return -1;
	/* Rules between options, once every source has been applied. */
	return config_check(cfg, err, err_size);
}

/* Each connection needs a descriptor; the soft limit is often 1024. */
static void raise_file_limit(void)
{
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
			log_warn("cannot raise the open file limit");
	}
}

static void count_user(const struct store_user *user, void *arg)
{
	(void)user;
	(*(size_t *)arg)++;
}

/* A new installation has no account to log in with: say how to make one. */
static void hint_first_user(struct store *store, const struct config *cfg)
{
	size_t users = 0;
	if (store_user_list(store, count_user, &users) != 0 || users > 0)
		return;
	log_info("no user yet: add the first one with: icegatectl --db %s user add NAME",
	         cfg->db_path);
}

int main(int argc, char **argv)
{
	static struct command_line command_line;
	static struct config cfg; /* static for its size, not shared */
	/* Each password check allocates argon2id's 19 MiB and frees it. glibc
	 * would raise its mmap threshold past that after the first free and keep
	 * every later block in a worker thread's heap, never returned: 38 MiB of
	 * resident memory with two workers. A fixed threshold keeps such blocks
	 * in mmap, given back to the kernel as soon as they are freed. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/* A reload asked for while the database opens would otherwise kill the
	 * process: SIGHUP means nothing until server_init installs its handler,
	 * and the configuration is read after this point anyway. */
	signal(SIGHUP, SIG_IGN);
	command_line.argc = argc;
	command_line.argv = argv;
	int status = check_command_line(argc, argv);
	if (status != 0)
		return status == 1 ? 0 : 2;
	char err[512];
	if (build_configuration(&command_line, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "icegate: %s\n", err);
		return 2;
	}
	enum log_level level = LOG_LEVEL_INFO;
	log_level_parse(cfg.log_level, &level);
	log_setup(level);
	log_set_format(strcmp(cfg.log_format, "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	signal(SIGPIPE, SIG_IGN);
	raise_file_limit();

	reload_check_turnserver(&cfg);
	struct store *store = store_open(cfg.db_path, err, sizeof(err));
	if (!store) {
		log_error("cannot open the database: %s", err);
		return 1;
	}
	struct token_keyring keyring;
	int generated = 0;
	if (secret_load_keyring(&cfg, store, &keyring, &generated, err, sizeof(err)) != 0) {
		log_error("cannot load the signing secret: %s", err);
		store_close(store);
		return 1;
	}
	if (generated)
		log_info("generated a new JWT signing secret and stored it in %s", cfg.db_path);

	static struct server server;
	if (server_init(&server, &cfg, store, &keyring, err, sizeof(err)) != 0) {
		log_error("%s", err);
		server_free(&server);
		store_close(store);
		return 1;
	}
	server.load_config = build_configuration;
	server.load_config_arg = &command_line;
	log_info("icegate %s listening on %s:%d over %s (database %s, guest access %s)",
	         ICEGATE_VERSION, cfg.listen_host[0] ? cfg.listen_host : "*", cfg.port,
	         cfg.cert[0] ? "HTTPS" : "HTTP", cfg.db_path, cfg.guest_access ? "on" : "off");
	hint_first_user(store, &cfg);
	status = server_run(&server);
	server_free(&server);
	store_close(store);
	log_info("icegate stopped");
	return status == 0 ? 0 : 1;
}
