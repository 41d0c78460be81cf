/*
 * turnserver_check.c: does coturn's turnserver.conf agree with icegate's
 * configuration? The two programs are configured separately but must agree
 * on a handful of facts, and a mismatch shows up only as TURN allocations
 * failing with 401 during a call. So the daemon (at start) and icegatectl can
 * read turnserver.conf and say, line by line, what to change: the same realm,
 * use-auth-secret with the secrets taken from icegate's SQLite file (userdb),
 * and nothing that bypasses them (static-auth-secret, lt-cred-mech, no-auth,
 * another database). Values are never echoed for secret options.
 */
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TURNSERVER_FILE_MAX (1 << 20)
#define TURNSERVER_LINE_MAX 4096

/* What the check needs to know from turnserver.conf; later lines win, as in
 * coturn. */
struct turnserver_facts {
	int has_realm;
	char realm[TURNSERVER_LINE_MAX];
	int use_auth_secret;    /* 1 on, 0 absent or off, -1 not a boolean */
	int static_auth_secret; /* present */
	int lt_cred_mech;       /* present and on */
	int no_auth;            /* present and on */
	int has_userdb;
	char userdb[TURNSERVER_LINE_MAX];
	char other_database[32];           /* the last option naming a non-SQLite database */
	char cert[TURNSERVER_LINE_MAX];    /* TLS certificate file, "" when unset */
	char pkey[TURNSERVER_LINE_MAX];    /* its private key, "" when unset */
	long long max_credential_lifetime; /* seconds; 0 absent or no bound, -1 not a number */
};

struct report {
	char *text; /* borrowed from the caller */
	size_t size, used;
	int problems;
};

static void report_problem(struct report *report, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report_problem(struct report *report, const char *fmt, ...)
{
	report->problems++;
	if (report->size == 0 || report->used + 1 >= report->size)
		return;
	va_list args;
	va_start(args, fmt);
	int written =
	    vsnprintf(report->text + report->used, report->size - report->used, fmt, args);
	va_end(args);
	if (written < 0)
		return;
	report->used += (size_t)written;
	if (report->used + 1 >= report->size) {
		report->used = report->size - 1;
		return;
	}
	report->text[report->used++] = '\n';
	report->text[report->used] = '\0';
}

/* coturn's flags take an optional boolean value. */
static int flag_value(const char *value)
{
	static const char *const truths[] = {"", "1", "on", "yes", "true"};
	static const char *const falsehoods[] = {"0", "off", "no", "false"};
	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		if (strcasecmp(value, truths[i]) == 0)
			return 1;
	}
	for (size_t i = 0; i < sizeof(falsehoods) / sizeof(falsehoods[0]); i++) {
		if (strcasecmp(value, falsehoods[i]) == 0)
			return 0;
	}
	return -1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Records what one option line (key and value, trimmed) says. */
static void note_option(struct turnserver_facts *facts, const char *key, const char *value)
{
	static const char *const other_databases[] = {"psql-userdb", "sql-userdb", "mysql-userdb",
	                                              "mongo-userdb", "redis-userdb"};
	if (strcmp(key, "realm") == 0) {
		facts->has_realm = 1;
		snprintf(facts->realm, sizeof(facts->realm), "%s", value);
	} else if (strcmp(key, "use-auth-secret") == 0) {
		facts->use_auth_secret = flag_value(value);
	} else if (strcmp(key, "static-auth-secret") == 0) {
		facts->static_auth_secret = 1;
	} else if (strcmp(key, "lt-cred-mech") == 0) {
		facts->lt_cred_mech = flag_value(value) != 0;
	} else if (strcmp(key, "no-auth") == 0) {
		facts->no_auth = flag_value(value) != 0;
	} else if (strcmp(key, "max-credential-lifetime") == 0) {
		char *end = NULL;
		errno = 0;
		long long seconds = strtoll(value, &end, 10);
		int valid = end != value && *end == '\0' && errno == 0 && seconds >= 0;
		facts->max_credential_lifetime = valid ? seconds : -1;
	} else if (strcmp(key, "cert") == 0) {
		snprintf(facts->cert, sizeof(facts->cert), "%s", value);
	} else if (strcmp(key, "pkey") == 0) {
		snprintf(facts->pkey, sizeof(facts->pkey), "%s", value);
	} else if (strcmp(key, "userdb") == 0 || strcmp(key, "db") == 0) {
		facts->has_userdb = 1;
		snprintf(facts->userdb, sizeof(facts->userdb), "%s", value);
	} else {
		for (size_t i = 0; i < sizeof(other_databases) / sizeof(other_databases[0]); i++) {
			if (strcmp(key, other_databases[i]) == 0)
				snprintf(facts->other_database, sizeof(facts->other_database), "%s",
				         key);
		}
	}
}

static void parse_line(struct turnserver_facts *facts, char *line)
{
	char *start = line, *end = line + strlen(line);
	while (is_blank(*start))
		start++;
	while (end > start && is_blank(end[-1]))
		end--;
	*end = '\0';
	if (*start == '\0' || *start == '#')
		return;
	if (start[0] == '-' && start[1] == '-')
		start += 2;
	char *value = strchr(start, '=');
	char *key_end = value ? value : end;
	if (value) {
		value++;
		while (is_blank(*value))
			value++;
	} else {
		value = end;
	}
	while (key_end > start && is_blank(key_end[-1]))
		key_end--;
	*key_end = '\0';
	note_option(facts, start, value);
}

static int parse_text(struct turnserver_facts *facts, const char *text, size_t length)
{
	memset(facts, 0, sizeof(*facts));
	if (!text || length > TURNSERVER_FILE_MAX || memchr(text, '\0', length))
		return -1;
	char line[TURNSERVER_LINE_MAX + 1];
	size_t position = 0;
	while (position < length) {
		const char *newline = memchr(text + position, '\n', length - position);
		size_t line_length =
		    newline ? (size_t)(newline - text) - position : length - position;
		/* Past coturn's own line limit nothing we check can be meant. */
		size_t kept = line_length < TURNSERVER_LINE_MAX ? line_length : TURNSERVER_LINE_MAX;
		memcpy(line, text + position, kept);
		line[kept] = '\0';
		parse_line(facts, line);
		position += line_length + (newline ? 1 : 0);
	}
	return 0;
}

/* Whether userdb names the file at db_path; the suggested value goes to
 * wanted (an absolute path when db_path resolves). */
static int same_database(const char *userdb, const char *db_path, char *wanted, size_t wanted_size)
{
	char resolved_ours[PATH_MAX], resolved_theirs[PATH_MAX];
	int ours = realpath(db_path, resolved_ours) != NULL;
	snprintf(wanted, wanted_size, "%s", ours ? resolved_ours : db_path);
	int theirs = realpath(userdb, resolved_theirs) != NULL;
	if (ours && theirs)
		return strcmp(resolved_ours, resolved_theirs) == 0;
	return strcmp(userdb, db_path) == 0;
}

static void check_facts(const struct config *cfg, const struct turnserver_facts *facts,
                        struct report *report)
{
	if (!facts->has_realm)
		report_problem(report, "realm is not set: add realm=%s", cfg->realm);
	else if (strcmp(facts->realm, cfg->realm) != 0)
		report_problem(report,
		               "realm is '%.200s' but icegate's realm is '%s': set realm=%s",
		               facts->realm, cfg->realm, cfg->realm);
	if (facts->use_auth_secret < 0)
		report_problem(report, "use-auth-secret has a value that is not a boolean: write "
		                       "use-auth-secret alone");
	else if (facts->use_auth_secret == 0)
		report_problem(report, "use-auth-secret is missing: add use-auth-secret (icegate "
		                       "hands out time-limited credentials)");
	if (facts->static_auth_secret)
		report_problem(report, "static-auth-secret is set: remove it (the secrets come "
		                       "from icegate's database and change on their own)");
	if (facts->lt_cred_mech && facts->use_auth_secret == 1)
		report_problem(report, "lt-cred-mech is set together with use-auth-secret: remove "
		                       "lt-cred-mech");
	if (facts->no_auth)
		report_problem(report, "no-auth is set: remove it (anyone could relay through the "
		                       "server)");
	if (facts->other_database[0])
		report_problem(report,
		               "%s points coturn at another database: remove it (icegate's "
		               "secrets are in its SQLite file)",
		               facts->other_database);
	if (facts->max_credential_lifetime < 0)
		report_problem(report, "max-credential-lifetime is not a number of seconds: set "
		                       "max-credential-lifetime=86400");
	else if (facts->max_credential_lifetime > 0 &&
	         facts->max_credential_lifetime < cfg->turn_credential_ttl)
		report_problem(report,
		               "max-credential-lifetime=%lld refuses icegate's TURN credentials, "
		               "which live turn_credential_ttl=%d seconds: set "
		               "max-credential-lifetime=%d or more",
		               facts->max_credential_lifetime, cfg->turn_credential_ttl,
		               cfg->turn_credential_ttl);
	char wanted[PATH_MAX];
	if (!facts->has_userdb) {
		same_database(cfg->db_path, cfg->db_path, wanted, sizeof(wanted));
		report_problem(report,
		               "userdb is not set (coturn would use its own database): add "
		               "userdb=%s",
		               wanted);
	} else if (!same_database(facts->userdb, cfg->db_path, wanted, sizeof(wanted))) {
		report_problem(report,
		               "userdb is '%.200s' but icegate's db_path is '%s': set userdb=%s",
		               facts->userdb, cfg->db_path, wanted);
	}
}

int config_check_turnserver(const struct config *cfg, const char *turnserver_conf_text,
                            size_t length, char *report_text, size_t report_size)
{
	struct report report = {report_text, report_size, 0, 0};
	if (report_size > 0)
		report_text[0] = '\0';
	struct turnserver_facts *facts = malloc(sizeof(*facts));
	if (!facts) {
		snprintf(report_text, report_size, "out of memory");
		return -1;
	}
	int result = -1;
	if (parse_text(facts, turnserver_conf_text, length) < 0) {
		snprintf(report_text, report_size,
		         "not a readable coturn configuration (NUL bytes, or larger than %d bytes)",
		         TURNSERVER_FILE_MAX);
	} else {
		check_facts(cfg, facts, &report);
		result = report.problems;
	}
	free(facts);
	return result;
}

/* Reads cfg->turnserver_conf into a new buffer (*text, *length bytes).
 * Returns 0, or -1 with the reason in err. */
static int read_turnserver_file(const struct config *cfg, char **text, size_t *length, char *err,
                                size_t err_size)
{
	if (cfg->turnserver_conf[0] == '\0') {
		snprintf(err, err_size, "turnserver_conf is not set");
		return -1;
	}
	FILE *file = fopen(cfg->turnserver_conf, "r");
	if (!file) {
		snprintf(err, err_size, "%s: %s", cfg->turnserver_conf, strerror(errno));
		return -1;
	}
	*text = malloc(TURNSERVER_FILE_MAX + 1);
	if (!*text) {
		fclose(file);
		snprintf(err, err_size, "%s: out of memory", cfg->turnserver_conf);
		return -1;
	}
	*length = fread(*text, 1, TURNSERVER_FILE_MAX + 1, file);
	int read_error = ferror(file);
	fclose(file);
	if (read_error) {
		free(*text);
		snprintf(err, err_size, "%s: read error", cfg->turnserver_conf);
		return -1;
	}
	return 0;
}

int config_turnserver_tls_files(const struct config *cfg, char *cert, char *pkey, size_t size,
                                char *err, size_t err_size)
{
	char *text;
	size_t length;
	if (read_turnserver_file(cfg, &text, &length, err, err_size) != 0)
		return -1;
	struct turnserver_facts *facts = malloc(sizeof(*facts));
	int result = facts ? parse_text(facts, text, length) : -1;
	if (result == 0) {
		snprintf(cert, size, "%s", facts->cert);
		snprintf(pkey, size, "%s", facts->pkey);
	} else {
		snprintf(err, err_size, "%s: %s", cfg->turnserver_conf,
		         facts ? "not a readable coturn configuration" : "out of memory");
	}
	free(facts);
	free(text);
	return result;
}

int config_check_turnserver_file(const struct config *cfg, char *report, size_t report_size)
{
	char *text;
	size_t length;
	if (read_turnserver_file(cfg, &text, &length, report, report_size) != 0)
		return -1;
	int result = config_check_turnserver(cfg, text, length, report, report_size);
	if (result < 0) {
		char reason[256];
		snprintf(reason, sizeof(reason), "%s", report);
		snprintf(report, report_size, "%s: %s", cfg->turnserver_conf, reason);
	}
	free(text);
	return result;
}
