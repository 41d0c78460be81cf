/*
 * reload.c: SIGHUP. Builds a fresh configuration from main's sources, keeps
 * the restart-only options at their running values, reloads the certificate,
 * swaps the result into server->config and pushes the few values that were
 * copied elsewhere at start (log level and format, the login limiter, the
 * token leeway, the user poll timer, the TURN secret window). Only the loop
 * thread reads server->config, and this runs on it, so the swap needs no lock.
 */
#include "signaling/reload.h"

#include "common/log.h"
#include "config/config.h"
#include "signaling/server.h"

#include <event2/event.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options bound to something built once at start: the sockets, the database,
 * what tokens and TURN credentials are signed for, the worker pool. */
static const char *const restart_only[] = {
    "listen_host", "port",  "db_path",        "jwt_secret",     "issuer",
    "audience",    "realm", "metrics_listen", "control_socket", "worker_threads",
};

static int is_restart_only(const char *name)
{
	for (size_t i = 0; i < sizeof(restart_only) / sizeof(restart_only[0]); i++)
		if (strcmp(restart_only[i], name) == 0)
			return 1;
	return 0;
}

void reload_check_turnserver(const struct config *cfg)
{
	if (!cfg->turnserver_conf[0])
		return;
	char report[2048];
	int problems = config_check_turnserver_file(cfg, report, sizeof(report));
	char *position = NULL;
	for (char *line = strtok_r(report, "\n", &position); problems != 0 && line;
	     line = strtok_r(NULL, "\n", &position))
		log_error("%s: %s", cfg->turnserver_conf, line);
}

/* Puts the running value back into fresh for every restart-only option that
 * differs, saying so. HTTPS cannot be turned on or off on an open listener;
 * the certificate files themselves may change. */
static void keep_restart_only(const struct config *running, struct config *fresh)
{
	size_t position = 0;
	const char *name;
	while ((name = config_next_difference(running, fresh, &position))) {
		if (!is_restart_only(name))
			continue;
		log_warn("%s changed: restart icegate to apply", name);
		config_copy_option(fresh, running, name);
	}
	if (!running->cert[0] != !fresh->cert[0]) {
		log_warn("cert changed: restart icegate to turn HTTPS %s",
		         fresh->cert[0] ? "on" : "off");
		config_copy_option(fresh, running, "cert");
		config_copy_option(fresh, running, "pkey");
	}
}

/* Loads fresh's certificate when HTTPS is on. On failure the served
 * certificate stays, and fresh names its files again. */
static void reload_certificate(struct server *server, struct config *fresh)
{
	if (!server->tls.current)
		return;
	char err[512], served[256];
	tls_context_describe(&server->tls, served, sizeof(served));
	if (tls_context_load(&server->tls, fresh->cert, fresh->pkey, err, sizeof(err)) != 0) {
		log_error("TLS certificate not reloaded: %s; still serving %s", err, served);
		config_copy_option(fresh, server->cfg, "cert");
		config_copy_option(fresh, server->cfg, "pkey");
		return;
	}
	char loaded[256];
	tls_context_describe(&server->tls, loaded, sizeof(loaded));
	log_info("TLS certificate loaded from %s: %s", fresh->cert, loaded);
}

/* The values copied out of the configuration at start. */
static void apply_copied_values(struct server *server, const struct config *before)
{
	const struct config *cfg = server->cfg;
	enum log_level level;
	if (log_level_parse(cfg->log_level, &level) == 0)
		log_set_level(level);
	enum log_format format;
	if (log_format_parse(cfg->log_format, &format) == 0)
		log_set_format(format);
	server->login_limiter.failures_per_minute = cfg->login_attempts_per_minute;
	server->keyring.leeway = cfg->token_leeway;
	if (cfg->turn_secret_window != before->turn_secret_window)
		server->turn_synced_window = -1; /* re-derive coturn's secrets now */
	if (server->user_poll_timer &&
	    cfg->user_poll_interval_ms != before->user_poll_interval_ms) {
		int interval = cfg->user_poll_interval_ms;
		struct timeval every = {interval / 1000, (interval % 1000) * 1000};
		event_add(server->user_poll_timer, &every);
	}
}

/* "a, b, c" of the options that differ, or "nothing". */
static void list_changes(const struct config *a, const struct config *b, char *out, size_t size)
{
	size_t position = 0, used = 0;
	const char *name;
	out[0] = '\0';
	while ((name = config_next_difference(a, b, &position)) && used < size) {
		int written = snprintf(out + used, size - used, "%s%s", used ? ", " : "", name);
		used += written > 0 ? (size_t)written : 0;
	}
	if (!out[0])
		snprintf(out, size, "nothing");
}

void reload_configuration(struct server *server)
{
	/* Two configurations are large for the stack; both hold the secret. */
	struct config *fresh = malloc(sizeof(*fresh));
	struct config *before = malloc(sizeof(*before));
	char err[512];
	if (!fresh || !before) {
		log_error("configuration not reloaded: out of memory");
		goto done;
	}
	*before = *server->cfg;
	int parsed = 1;
	if (!server->load_config) {
		*fresh = *server->cfg;
	} else if (server->load_config(server->load_config_arg, fresh, err, sizeof(err)) != 0) {
		parsed = 0;
	} else {
		keep_restart_only(server->cfg, fresh);
		parsed = config_check(fresh, err, sizeof(err)) == 0;
	}
	if (!parsed) {
		log_error("configuration not reloaded: %s; the running configuration stays", err);
		*fresh = *server->cfg; /* the certificate files may still be new */
	}
	reload_certificate(server, fresh);

	server->config = *fresh;
	apply_copied_values(server, before);
	if (parsed) {
		char changed[1024];
		list_changes(before, server->cfg, changed, sizeof(changed));
		log_info("configuration reloaded: %s changed", changed);
		reload_check_turnserver(server->cfg);
	}
done:
	if (fresh)
		OPENSSL_cleanse(fresh, sizeof(*fresh));
	if (before)
		OPENSSL_cleanse(before, sizeof(*before));
	free(fresh);
	free(before);
}
