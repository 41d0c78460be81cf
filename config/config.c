/*
 * config.c: the embedded defaults, the table of options, and the parser for
 * signaling.conf. Each option is one row of the table (name, kind, field,
 * range), so the file, --set and the defaults are handled by one path and a
 * new option is one new row. Values are never echoed in errors: one of them
 * is the JWT secret.
 */
#include "config/config.h"
#include "config/config_internal.h"

#include "common/log.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_LINE_MAX   4096      /* longer lines are refused, not split */
#define CONFIG_FILE_MAX   (1 << 20) /* a configuration file is small */
#define CONFIG_SECRET_MIN 32        /* HS256 wants a key as long as its output */

enum option_kind {
	OPTION_TEXT,       /* any text that fits the field, "" allowed */
	OPTION_REQUIRED,   /* text that fits the field, not "" */
	OPTION_HOST,       /* a listen address without brackets, "" = all */
	OPTION_SECRET,     /* "" or at least CONFIG_SECRET_MIN characters */
	OPTION_INT,        /* int field in min..max */
	OPTION_SIZE,       /* size_t field in min..max */
	OPTION_BOOL,       /* int field, 0 or 1 */
	OPTION_LOG_LEVEL,  /* debug|info|warn|error */
	OPTION_LOG_FORMAT, /* text|json */
	OPTION_LISTEN,     /* "" or PORT, :PORT, HOST:PORT, [IPv6]:PORT */
};

struct option {
	const char *name;
	enum option_kind kind;
	size_t offset; /* of the field in struct config */
	size_t size;   /* of the field, for text kinds */
	long long min, max;
};

#define TEXT(name, kind)                                                                           \
	{                                                                                          \
#name, kind, offsetof(struct config, name), sizeof(((struct config *)0)->name), 0, \
		    0                                                                              \
	}
#define NUMBER(name, kind, min, max)                                                               \
	{                                                                                          \
#name, kind, offsetof(struct config, name), 0, min, max                            \
	}

static const struct option options[] = {
    TEXT(listen_host, OPTION_HOST),
    NUMBER(port, OPTION_INT, 1, 65535),
    TEXT(domain, OPTION_REQUIRED),
    TEXT(allowed_origins, OPTION_TEXT),
    TEXT(db_path, OPTION_REQUIRED),
    TEXT(web_root, OPTION_REQUIRED),
    TEXT(jwt_secret, OPTION_SECRET),
    TEXT(issuer, OPTION_REQUIRED),
    TEXT(audience, OPTION_REQUIRED),
    NUMBER(access_token_ttl, OPTION_INT, 1, 86400),
    NUMBER(refresh_token_ttl, OPTION_INT, 1, 366 * 86400),
    NUMBER(token_leeway, OPTION_INT, 0, 300),
    NUMBER(guest_access, OPTION_BOOL, 0, 1),
    NUMBER(login_attempts_per_minute, OPTION_INT, 1, 10000),
    NUMBER(max_message_bytes, OPTION_SIZE, 1024, 16 * 1024 * 1024),
    /* Up to 10 million so a benchmark can take the limit out of the way. */
    NUMBER(messages_per_second, OPTION_INT, 1, 10000000),
    NUMBER(message_burst, OPTION_INT, 1, 10000000),
    NUMBER(max_connections_per_address, OPTION_INT, 1, 100000),
    NUMBER(max_peers_per_room, OPTION_INT, 1, 1000),
    NUMBER(auth_timeout, OPTION_INT, 1, 300),
    NUMBER(ping_interval, OPTION_INT, 1, 3600),
    NUMBER(idle_timeout, OPTION_INT, 1, 86400),
    NUMBER(max_violations, OPTION_INT, 1, 10000),
    TEXT(realm, OPTION_REQUIRED),
    TEXT(turn_host, OPTION_HOST),
    NUMBER(turn_port, OPTION_INT, 1, 65535),
    NUMBER(turns_port, OPTION_INT, 1, 65535),
    NUMBER(turn_tls, OPTION_BOOL, 0, 1),
    NUMBER(turn_credential_ttl, OPTION_INT, 60, 86400),
    NUMBER(turn_secret_window, OPTION_INT, 600, 604800),
    TEXT(turnserver_conf, OPTION_TEXT),
    TEXT(cert, OPTION_TEXT),
    TEXT(pkey, OPTION_TEXT),
    TEXT(metrics_listen, OPTION_LISTEN),
    TEXT(control_socket, OPTION_TEXT),
    NUMBER(worker_threads, OPTION_INT, 1, 64),
    NUMBER(user_poll_interval_ms, OPTION_INT, 10, 60000),
    TEXT(log_level, OPTION_LOG_LEVEL),
    TEXT(log_format, OPTION_LOG_FORMAT),
};

#undef TEXT
#undef NUMBER

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 8080;
	snprintf(cfg->domain, sizeof(cfg->domain), "localhost");
	snprintf(cfg->db_path, sizeof(cfg->db_path), "icegate.db");
	snprintf(cfg->web_root, sizeof(cfg->web_root), "web");
	snprintf(cfg->issuer, sizeof(cfg->issuer), "icegate");
	snprintf(cfg->audience, sizeof(cfg->audience), "icegate");
	cfg->access_token_ttl = 600;
	cfg->refresh_token_ttl = 30 * 86400;
	cfg->token_leeway = 30;
	cfg->guest_access = 0;
	cfg->login_attempts_per_minute = 10;
	cfg->max_message_bytes = 65536;
	cfg->messages_per_second = 50;
	cfg->message_burst = 100;
	cfg->max_connections_per_address = 100;
	cfg->max_peers_per_room = 16;
	cfg->auth_timeout = 5;
	cfg->ping_interval = 30;
	cfg->idle_timeout = 75;
	cfg->max_violations = 20;
	snprintf(cfg->realm, sizeof(cfg->realm), "icegate");
	cfg->turn_port = 3478;
	cfg->turns_port = 5349;
	cfg->turn_tls = 0;
	cfg->turn_credential_ttl = 3600;
	cfg->turn_secret_window = 86400;
	cfg->worker_threads = 2;
	cfg->user_poll_interval_ms = 500;
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
	snprintf(cfg->log_format, sizeof(cfg->log_format), "text");
}

int config_parse_number(const char *text, long long min, long long max, long long *out)
{
	const char *digits = text[0] == '-' ? text + 1 : text;
	if (digits[0] < '0' || digits[0] > '9')
		return -1;
	char *end = NULL;
	errno = 0;
	long long value = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || value < min || value > max)
		return -1;
	*out = value;
	return 0;
}

static int parse_bool(const char *text, int *out)
{
	static const char *const truths[] = {"on", "yes", "true", "1"};
	static const char *const falsehoods[] = {"off", "no", "false", "0"};
	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		if (strcasecmp(text, truths[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(text, falsehoods[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Checks value against the option's kind and stores it; why gets the reason
 * on failure. */
static int option_apply(struct config *cfg, const struct option *option, const char *value,
                        char *why, size_t why_size)
{
	char *field = (char *)cfg + option->offset;
	size_t length = strlen(value);
	long long number;
	enum log_level level;

	switch (option->kind) {
	case OPTION_TEXT:
	case OPTION_REQUIRED:
	case OPTION_HOST:
	case OPTION_SECRET:
	case OPTION_LOG_LEVEL:
	case OPTION_LOG_FORMAT:
	case OPTION_LISTEN:
		if (length >= option->size) {
			snprintf(why, why_size, "longer than %zu characters", option->size - 1);
			return -1;
		}
		if (option->kind == OPTION_REQUIRED && length == 0) {
			snprintf(why, why_size, "must not be empty");
			return -1;
		}
		if (option->kind == OPTION_HOST &&
		    config_check_host(value, length, why, why_size) < 0)
			return -1;
		if (option->kind == OPTION_SECRET && length > 0 && length < CONFIG_SECRET_MIN) {
			snprintf(why, why_size, "must be at least %d characters",
			         CONFIG_SECRET_MIN);
			return -1;
		}
		if (option->kind == OPTION_LOG_LEVEL && log_level_parse(value, &level) < 0) {
			snprintf(why, why_size, "not one of debug, info, warn, error");
			return -1;
		}
		if (option->kind == OPTION_LOG_FORMAT && strcmp(value, "text") != 0 &&
		    strcmp(value, "json") != 0) {
			snprintf(why, why_size, "not one of text, json");
			return -1;
		}
		if (option->kind == OPTION_LISTEN && length > 0) {
			char host[CONFIG_TEXT_MAX], listen_err[160];
			int port;
			if (config_parse_listen(value, host, &port, listen_err,
			                        sizeof(listen_err)) != 0) {
				/* listen_err starts with "listen: ". */
				snprintf(why, why_size, "%.100s", listen_err + strlen("listen: "));
				return -1;
			}
		}
		memcpy(field, value, length + 1);
		return 0;
	case OPTION_INT:
	case OPTION_SIZE:
		if (config_parse_number(value, option->min, option->max, &number) < 0) {
			snprintf(why, why_size, "not a number in %lld..%lld", option->min,
			         option->max);
			return -1;
		}
		if (option->kind == OPTION_INT)
			*(int *)field = (int)number;
		else
			*(size_t *)field = (size_t)number;
		return 0;
	case OPTION_BOOL:
		if (parse_bool(value, (int *)field) < 0) {
			snprintf(why, why_size, "not a boolean (on/off, yes/no, true/false, 1/0)");
			return -1;
		}
		return 0;
	}
	snprintf(why, why_size, "unsupported option kind");
	return -1;
}

/* Bytes of the option's field that hold its value (text: up to its NUL). */
static size_t option_value_size(const struct option *option, const struct config *cfg)
{
	const char *field = (const char *)cfg + option->offset;
	switch (option->kind) {
	case OPTION_INT:
	case OPTION_BOOL:
		return sizeof(int);
	case OPTION_SIZE:
		return sizeof(size_t);
	default:
		return strlen(field) + 1;
	}
}

const char *config_next_difference(const struct config *a, const struct config *b, size_t *position)
{
	while (*position < sizeof(options) / sizeof(options[0])) {
		const struct option *option = &options[(*position)++];
		size_t size = option_value_size(option, a);
		if (size != option_value_size(option, b) ||
		    memcmp((const char *)a + option->offset, (const char *)b + option->offset,
		           size) != 0)
			return option->name;
	}
	return NULL;
}

int config_copy_option(struct config *to, const struct config *from, const char *name)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (strcmp(options[i].name, name) != 0)
			continue;
		memcpy((char *)to + options[i].offset, (const char *)from + options[i].offset,
		       option_value_size(&options[i], from));
		return 0;
	}
	return -1;
}

int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t err_size)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (strcmp(options[i].name, key) != 0)
			continue;
		char why[128];
		if (option_apply(cfg, &options[i], value, why, sizeof(why)) < 0) {
			snprintf(err, err_size, "%s: %s", key, why);
			return -1;
		}
		return 0;
	}
	snprintf(err, err_size, "%.64s: unknown option", key);
	return -1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int is_key_character(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * Splits one line (NUL-terminated, surrounding blanks already trimmed, not a
 * comment) into key and value, in place. A quoted value runs to the next '"'
 * (so it cannot hold one); an unquoted one keeps any quotes inside it and ends
 * at a '#' that follows a blank. Returns 0, or -1 with
 * the reason in why.
 */
static int split_line(char *line, char **key, char **value, char *why, size_t why_size)
{
	char *equals = strchr(line, '=');
	if (!equals) {
		snprintf(why, why_size, "expected 'key = value'");
		return -1;
	}
	char *key_end = equals;
	while (key_end > line && is_blank(key_end[-1]))
		key_end--;
	*key_end = '\0';
	if (key_end == line) {
		snprintf(why, why_size, "missing key before '='");
		return -1;
	}
	for (char *c = line; *c; c++) {
		if (!is_key_character(*c)) {
			snprintf(why, why_size,
			         "malformed key (lowercase letters, digits and '_')");
			return -1;
		}
	}
	*key = line;

	char *start = equals + 1;
	while (is_blank(*start))
		start++;
	if (*start == '"') {
		char *close = strchr(start + 1, '"');
		if (!close) {
			snprintf(why, why_size, "%.64s: unterminated quote", line);
			return -1;
		}
		char *rest = close + 1;
		while (is_blank(*rest))
			rest++;
		if (*rest != '\0' && *rest != '#') {
			snprintf(why, why_size, "%.64s: text after the closing quote", line);
			return -1;
		}
		*close = '\0';
		*value = start + 1;
		return 0;
	}
	char *end = start;
	/* start > line, so end[-1] is always inside the line. */
	while (*end && !(*end == '#' && is_blank(end[-1])))
		end++;
	while (end > start && is_blank(end[-1]))
		end--;
	*end = '\0';
	*value = start;
	return 0;
}

/* Parses one line; line_number is for messages. */
static int parse_line(struct config *cfg, const char *text, size_t length, int line_number,
                      char *err, size_t err_size)
{
	char line[CONFIG_LINE_MAX + 1];
	if (length > CONFIG_LINE_MAX) {
		snprintf(err, err_size, "line %d: longer than %d characters", line_number,
		         CONFIG_LINE_MAX);
		return -1;
	}
	if (memchr(text, '\0', length)) {
		snprintf(err, err_size, "line %d: contains a NUL byte", line_number);
		return -1;
	}
	memcpy(line, text, length);
	line[length] = '\0';

	char *start = line, *end = line + length;
	while (is_blank(*start))
		start++;
	while (end > start && is_blank(end[-1]))
		end--;
	*end = '\0';
	if (*start == '\0' || *start == '#')
		return 0;

	char *key, *value, why[192];
	if (split_line(start, &key, &value, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "line %d: %s", line_number, why);
		return -1;
	}
	char reason[256];
	if (config_set(cfg, key, value, reason, sizeof(reason)) < 0) {
		snprintf(err, err_size, "line %d: %s", line_number, reason);
		return -1;
	}
	return 0;
}

int config_check(const struct config *cfg, char *err, size_t err_size)
{
	/* A credential must not outlive the secret that signed it: the TURN
	 * server keeps only the current and the previous window's secrets. */
	if (cfg->turn_credential_ttl > cfg->turn_secret_window) {
		snprintf(err, err_size,
		         "turn_credential_ttl (%d) must not exceed turn_secret_window (%d)",
		         cfg->turn_credential_ttl, cfg->turn_secret_window);
		return -1;
	}
	/* coturn keeps the realm in a varchar(127) column. */
	if (strlen(cfg->realm) > 127) {
		snprintf(err, err_size, "realm: longer than 127 characters");
		return -1;
	}
	if (!cfg->cert[0] != !cfg->pkey[0]) {
		snprintf(err, err_size,
		         "cert and pkey go together: set both for HTTPS, or neither");
		return -1;
	}
	return 0;
}

int config_parse_text(struct config *cfg, const char *text, size_t length, char *err,
                      size_t err_size)
{
	int line_number = 0;
	size_t position = 0;
	while (position < length) {
		const char *line = text + position;
		const char *newline = memchr(line, '\n', length - position);
		size_t line_length = newline ? (size_t)(newline - line) : length - position;
		line_number++;
		if (parse_line(cfg, line, line_length, line_number, err, err_size) < 0)
			return -1;
		position += line_length + (newline ? 1 : 0);
	}
	return config_check(cfg, err, err_size);
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t err_size)
{
	FILE *file = fopen(path, "r");
	if (!file) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = malloc(CONFIG_FILE_MAX + 1);
	if (!text) {
		fclose(file);
		snprintf(err, err_size, "%s: out of memory", path);
		return -1;
	}
	size_t length = fread(text, 1, CONFIG_FILE_MAX + 1, file);
	int read_error = ferror(file);
	fclose(file);
	int result = -1;
	char reason[384];
	if (read_error) {
		snprintf(err, err_size, "%s: read error", path);
	} else if (length > CONFIG_FILE_MAX) {
		snprintf(err, err_size, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
	} else if (config_parse_text(cfg, text, length, reason, sizeof(reason)) < 0) {
		snprintf(err, err_size, "%s: %s", path, reason);
	} else {
		result = 0;
	}
	free(text);
	return result;
}
