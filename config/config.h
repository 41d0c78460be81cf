/*
 * config.h: icegate's configuration, parsed once into a plain struct.
 *
 * Sources, later ones winning: embedded defaults, the file (signaling.conf,
 * "key = value" lines, '#' comments), then command-line flags. Nobody else in
 * the program reads configuration files; everything gets a const struct config.
 * The daemon and icegatectl share this parser so they agree on the database.
 */
#ifndef ICEGATE_CONFIG_CONFIG_H
#define ICEGATE_CONFIG_CONFIG_H

#include <stddef.h>

#define CONFIG_TEXT_MAX   256
#define CONFIG_PATH_MAX   1024
#define CONFIG_SECRET_MAX 512

struct config {
	/* network */
	char listen_host[CONFIG_TEXT_MAX];     /* "" = all addresses */
	int port;                              /* 1..65535; default 8080 */
	char domain[CONFIG_TEXT_MAX];          /* public host name; default "localhost" */
	char allowed_origins[CONFIG_PATH_MAX]; /* comma list of origins; "" = same host only */

	/* storage and files */
	char db_path[CONFIG_PATH_MAX];  /* default "icegate.db" */
	char web_root[CONFIG_PATH_MAX]; /* pages and /js; default "web" */

	/* tokens */
	char jwt_secret[CONFIG_SECRET_MAX]; /* "" = generated once, kept in the database */
	char issuer[CONFIG_TEXT_MAX];       /* default "icegate" */
	char audience[CONFIG_TEXT_MAX];     /* default "icegate" */
	int access_token_ttl;               /* seconds; default 600 */
	int refresh_token_ttl;              /* seconds; default 30 days */
	int token_leeway;                   /* seconds of clock skew accepted; default 30 */
	int guest_access;                   /* 0/1; default 0 */
	int login_attempts_per_minute;      /* failed logins per address; default 10 */

	/* signaling limits */
	size_t max_message_bytes;        /* WebSocket message; default 65536 */
	int messages_per_second;         /* sustained per connection; default 50 */
	int message_burst;               /* token bucket depth; default 100 */
	int max_connections_per_address; /* default 100 */
	int max_peers_per_room;          /* default 16 */
	int auth_timeout;                /* seconds to authenticate after upgrade; default 5 */
	int ping_interval;               /* seconds between server pings; default 30 */
	int idle_timeout;                /* seconds without any frame before close; default 75 */
	int max_violations;              /* error replies before close 1008; default 20 */

	/* TURN */
	char realm[CONFIG_TEXT_MAX];     /* coturn's realm; default "icegate" */
	char turn_host[CONFIG_TEXT_MAX]; /* host in turn: URLs; "" = domain */
	int turn_port;                   /* turn: port; default 3478 */
	int turns_port;                  /* turns: port; default 5349 */
	int turn_tls;                    /* 0/1: also offer turns: URLs; default 0 */
	int turn_credential_ttl; /* seconds, 60..86400, <= turn_secret_window; default 3600 */
	int turn_secret_window;  /* seconds a derived secret serves, 600..604800; default 86400 */
	char turnserver_conf[CONFIG_PATH_MAX]; /* coturn's config to check; "" = no check */

	/* TLS (HTTPS and WSS on the signaling port) */
	char cert[CONFIG_PATH_MAX]; /* PEM certificate chain; "" = plain HTTP */
	char pkey[CONFIG_PATH_MAX]; /* PEM private key of cert; required with cert */

	/* operations */
	char metrics_listen[CONFIG_TEXT_MAX]; /* "HOST:PORT" for /metrics, /healthz, /readyz;
	                                       * "" = /metrics on the signaling port */
	char control_socket[CONFIG_PATH_MAX]; /* Unix socket for icegatectl's live commands;
	                                       * "" = db_path + ".sock"; "off" = none */

	/* process */
	int worker_threads;        /* argon2 and bulk DB work; default 2 */
	int user_poll_interval_ms; /* how often admin changes are picked up; default 500 */
	char log_level[16];        /* debug|info|warn|error; default info */
	char log_format[16];       /* text|json; default text */
};

/* Fill every field with its embedded default. */
void config_defaults(struct config *cfg);

/*
 * Parse one "key = value" text (the whole file's contents). Unknown keys,
 * values out of range and malformed lines are errors: the message names the
 * line and the key, e.g. "line 12: port: not a number in 1..65535".
 * Returns 0 or -1 with err filled.
 */
int config_parse_text(struct config *cfg, const char *text, size_t length, char *err,
                      size_t err_size);

/* Checks the rules between options (turn_credential_ttl <= turn_secret_window).
 * config_parse_text applies it to a whole file; whoever changes options
 * after that (command-line flags) calls it again. Returns 0 or -1 with err. */
int config_check(const struct config *cfg, char *err, size_t err_size);

/*
 * Checks coturn's configuration text (turnserver.conf: "key=value" or bare
 * "key" lines, '#' comments, an optional leading "--") against cfg: the realm,
 * use-auth-secret, no static-auth-secret, no lt-cred-mech or no-auth beside
 * it, and userdb naming the same SQLite file as db_path. Each problem is one
 * line in report saying what to change. Returns the number of problems (0 =
 * consistent), or -1 when the text cannot be read (NUL bytes, too large).
 */
int config_check_turnserver(const struct config *cfg, const char *turnserver_conf_text,
                            size_t length, char *report, size_t report_size);
/* Reads cfg->turnserver_conf and checks it as above; -1 with the reason in
 * report when it cannot be read or turnserver_conf is "". */
int config_check_turnserver_file(const struct config *cfg, char *report, size_t report_size);
/* The cert= and pkey= files named in cfg->turnserver_conf (coturn's TLS
 * certificate for turns:), each "" when unset, as written in the file.
 * Returns 0, or -1 with err filled when the file cannot be read. */
int config_turnserver_tls_files(const struct config *cfg, char *cert, char *pkey, size_t size,
                                char *err, size_t err_size);

/* The control socket's path: control_socket, or db_path + ".sock" when that
 * is "". Returns 0, 1 when live commands are off ("off"), or -1 when the
 * path does not fit a Unix socket address (err says so). */
int config_control_socket_path(const struct config *cfg, char *out, size_t out_size, char *err,
                               size_t err_size);

/* The options whose values differ between a and b, one per call, in the
 * order of the option table: start with *position = 0; NULL after the last.
 * For reporting what a reload changed (names only: values may be secret). */
const char *config_next_difference(const struct config *a, const struct config *b,
                                   size_t *position);

/* Copies option name's value from from into to. Returns 0, or -1 for an
 * unknown name. */
int config_copy_option(struct config *to, const struct config *from, const char *name);

/* Read and parse a file. A missing file is an error (the caller decides
 * whether a missing default file is fine). Returns 0 or -1 with err filled. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t err_size);

/* Set one option by name, as the file would ("port", "8080"). */
int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t err_size);

/*
 * Parse the -p/--port forms the seed server accepted: "8080", ":8080" and
 * "HOST:PORT" (and "[v6]:PORT"). Fills listen_host and port.
 */
int config_set_listen(struct config *cfg, const char *spec, char *err, size_t err_size);
/* The same forms, parsed into host (no brackets; "" = every address) and
 * port, for options such as metrics_listen. Returns 0 or -1 with err filled. */
int config_parse_listen(const char *spec, char host[CONFIG_TEXT_MAX], int *port, char *err,
                        size_t err_size);

#endif
