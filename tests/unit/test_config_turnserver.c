/*
 * test_config_turnserver.c: checking coturn's turnserver.conf against
 * icegate's configuration. A consistent file passes in each of coturn's
 * spellings (key=value, bare flags, a leading "--", comments); each mismatch
 * is reported once with what to change; a secret's value is never echoed;
 * unreadable text is refused. Also the TURN options of signaling.conf.
 */
#include "config/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void defaults(struct config *cfg)
{
	config_defaults(cfg);
	snprintf(cfg->realm, sizeof(cfg->realm), "example.org");
	snprintf(cfg->db_path, sizeof(cfg->db_path), "/var/lib/icegate/icegate.db");
}

static const char GOOD[] = "# coturn for icegate\n"
                           "listening-port=3478\n"
                           "realm=example.org\n"
                           "use-auth-secret\n"
                           "userdb=/var/lib/icegate/icegate.db\n";

static int check(const struct config *cfg, const char *text, char *report, size_t size)
{
	return config_check_turnserver(cfg, text, strlen(text), report, size);
}

static void test_consistent_file_passes(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	assert_int_equal(check(&cfg, GOOD, report, sizeof(report)), 0);
	assert_string_equal(report, "");
}

static void test_other_spellings_pass(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	static const char text[] = "  # indented comment\r\n"
	                           "--realm=old.example.org\n"
	                           "realm = example.org\r\n"
	                           "\t--use-auth-secret\n"
	                           "db=/var/lib/icegate/icegate.db";
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 0);
	static const char flag_value[] = "realm=example.org\nuse-auth-secret=true\n"
	                                 "userdb=/var/lib/icegate/icegate.db\n"
	                                 "lt-cred-mech=false\n";
	assert_int_equal(check(&cfg, flag_value, report, sizeof(report)), 0);
}

static void test_realm_differs(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	static const char text[] = "realm=turn.example.com\nuse-auth-secret\n"
	                           "userdb=/var/lib/icegate/icegate.db\n";
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_string_equal(report, "realm is 'turn.example.com' but icegate's realm is "
	                            "'example.org': set realm=example.org\n");
}

static void test_realm_missing(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	static const char text[] = "use-auth-secret\nuserdb=/var/lib/icegate/icegate.db\n";
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_string_equal(report, "realm is not set: add realm=example.org\n");
}

static void test_use_auth_secret_missing(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	static const char text[] = "realm=example.org\n#use-auth-secret\n"
	                           "userdb=/var/lib/icegate/icegate.db\n";
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "use-auth-secret is missing: add use-auth-secret"));
}

static void test_use_auth_secret_turned_off(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	static const char text[] = "realm=example.org\nuse-auth-secret=off\n"
	                           "userdb=/var/lib/icegate/icegate.db\n";
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "use-auth-secret is missing"));
}

static void test_use_auth_secret_not_boolean(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	static const char text[] = "realm=example.org\nuse-auth-secret=maybe\n"
	                           "userdb=/var/lib/icegate/icegate.db\n";
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "not a boolean"));
}

static void test_static_auth_secret_present(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	char text[512];
	snprintf(text, sizeof(text), "%sstatic-auth-secret=hunter2-very-secret\n", GOOD);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "static-auth-secret is set: remove it"));
	assert_null(strstr(report, "hunter2"));
}

static void test_userdb_differs(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	static const char text[] = "realm=example.org\nuse-auth-secret\n"
	                           "userdb=/var/lib/turn/turndb\n";
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_string_equal(report, "userdb is '/var/lib/turn/turndb' but icegate's db_path is "
	                            "'/var/lib/icegate/icegate.db': set "
	                            "userdb=/var/lib/icegate/icegate.db\n");
}

static void test_userdb_missing(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	static const char text[] = "realm=example.org\nuse-auth-secret\n";
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "userdb is not set"));
	assert_non_null(strstr(report, "add userdb=/var/lib/icegate/icegate.db"));
}

static void test_userdb_same_file_by_another_path(void **state)
{
	(void)state;
	char dir[] = "/tmp/icegate-turnconf-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char db[256], link[256], text[1024], report[2048];
	snprintf(db, sizeof(db), "%s/icegate.db", dir);
	snprintf(link, sizeof(link), "%s/link.db", dir);
	FILE *file = fopen(db, "w");
	assert_non_null(file);
	fclose(file);
	assert_int_equal(symlink(db, link), 0);

	struct config cfg;
	defaults(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", db);
	snprintf(text, sizeof(text), "realm=example.org\nuse-auth-secret\nuserdb=%s/./link.db\n",
	         dir);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 0);

	/* A different existing file is a mismatch even in the same directory. */
	snprintf(text, sizeof(text), "realm=example.org\nuse-auth-secret\nuserdb=%s\n", dir);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	unlink(link);
	unlink(db);
	rmdir(dir);
}

static void test_lt_cred_mech_with_use_auth_secret(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024], text[512];
	snprintf(text, sizeof(text), "lt-cred-mech\n%s", GOOD);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_string_equal(report, "lt-cred-mech is set together with use-auth-secret: remove "
	                            "lt-cred-mech\n");
}

static void test_no_auth_present(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024], text[512];
	snprintf(text, sizeof(text), "%sno-auth\n", GOOD);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "no-auth is set: remove it"));
}

static void test_other_database_present(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[1024], text[512];
	snprintf(text, sizeof(text), "%spsql-userdb=host=db dbname=turn password=pw\n", GOOD);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "psql-userdb points coturn at another database"));
	assert_null(strstr(report, "password=pw"));
}

/* The patched coturn's bound on credential expiry must leave room for the
 * credentials icegate mints; no bound at all is stock coturn's behaviour. */
static void test_max_credential_lifetime(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	cfg.turn_credential_ttl = 3600;
	char report[1024], text[512];
	snprintf(text, sizeof(text), "%smax-credential-lifetime=86400\n", GOOD);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 0);
	snprintf(text, sizeof(text), "%smax-credential-lifetime=3600\n", GOOD);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 0);
	snprintf(text, sizeof(text), "%smax-credential-lifetime=600\n", GOOD);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "max-credential-lifetime=600 refuses icegate's TURN "
	                               "credentials, which live turn_credential_ttl=3600 seconds: "
	                               "set max-credential-lifetime=3600 or more"));
	snprintf(text, sizeof(text), "%smax-credential-lifetime=a day\n", GOOD);
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "max-credential-lifetime is not a number of seconds"));
}

static void test_every_problem_counted(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[2048];
	static const char text[] = "realm=wrong\nlt-cred-mech\nstatic-auth-secret=x\n";
	/* realm, use-auth-secret, static-auth-secret, userdb; lt-cred-mech is
	 * only a conflict beside use-auth-secret. */
	assert_int_equal(check(&cfg, text, report, sizeof(report)), 4);
	int lines = 0;
	for (const char *c = report; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 4);
}

static void test_small_report_buffer_still_counts(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[16];
	assert_int_equal(check(&cfg, "", report, sizeof(report)), 3);
	assert_int_equal(strlen(report), sizeof(report) - 1);
}

static void test_nul_byte_is_unreadable(void **state)
{
	(void)state;
	struct config cfg;
	defaults(&cfg);
	char report[256];
	static const char text[] = "realm=example.org\0use-auth-secret\n";
	assert_int_equal(
	    config_check_turnserver(&cfg, text, sizeof(text) - 1, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "not a readable coturn configuration"));
	assert_int_equal(config_check_turnserver(&cfg, NULL, 0, report, sizeof(report)), -1);
}

static void test_check_file(void **state)
{
	(void)state;
	char path[] = "/tmp/icegate-turnserver-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, GOOD, strlen(GOOD)), (ssize_t)strlen(GOOD));
	close(fd);
	struct config cfg;
	defaults(&cfg);
	char report[1024];
	assert_int_equal(config_check_turnserver_file(&cfg, report, sizeof(report)), -1);
	assert_string_equal(report, "turnserver_conf is not set");
	snprintf(cfg.turnserver_conf, sizeof(cfg.turnserver_conf), "%s", path);
	assert_int_equal(config_check_turnserver_file(&cfg, report, sizeof(report)), 0);
	unlink(path);
	assert_int_equal(config_check_turnserver_file(&cfg, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "No such file or directory"));
}

static void test_turn_options_defaults(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	assert_string_equal(cfg.realm, "icegate");
	assert_string_equal(cfg.turn_host, "");
	assert_int_equal(cfg.turn_port, 3478);
	assert_int_equal(cfg.turns_port, 5349);
	assert_int_equal(cfg.turn_tls, 0);
	assert_int_equal(cfg.turn_credential_ttl, 3600);
	assert_int_equal(cfg.turn_secret_window, 86400);
	assert_string_equal(cfg.turnserver_conf, "");
}

static void test_turn_options_parse(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	static const char text[] = "realm = example.org\nturn_host = turn.example.org\n"
	                           "turn_port = 3479\nturns_port = 443\nturn_tls = on\n"
	                           "turn_credential_ttl = 600\nturn_secret_window = 600\n"
	                           "turnserver_conf = /etc/turnserver.conf\n";
	char err[256];
	assert_int_equal(config_parse_text(&cfg, text, strlen(text), err, sizeof(err)), 0);
	assert_string_equal(cfg.realm, "example.org");
	assert_string_equal(cfg.turn_host, "turn.example.org");
	assert_int_equal(cfg.turn_port, 3479);
	assert_int_equal(cfg.turns_port, 443);
	assert_int_equal(cfg.turn_tls, 1);
	assert_int_equal(cfg.turn_credential_ttl, 600);
	assert_int_equal(cfg.turn_secret_window, 600);
	assert_string_equal(cfg.turnserver_conf, "/etc/turnserver.conf");
}

static void test_turn_option_ranges(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		const char *error;
	} cases[] = {
	    {"turn_credential_ttl = 59", "line 1: turn_credential_ttl: not a number in 60..86400"},
	    {"turn_credential_ttl = 86401",
	     "line 1: turn_credential_ttl: not a number in 60..86400"},
	    {"turn_secret_window = 599", "line 1: turn_secret_window: not a number in 600..604800"},
	    {"turn_secret_window = 604801",
	     "line 1: turn_secret_window: not a number in 600..604800"},
	    {"turn_port = 0", "line 1: turn_port: not a number in 1..65535"},
	    {"turns_port = 65536", "line 1: turns_port: not a number in 1..65535"},
	    {"turn_tls = maybe",
	     "line 1: turn_tls: not a boolean (on/off, yes/no, true/false, 1/0)"},
	    {"realm = \"\"", "line 1: realm: must not be empty"},
	    {"turn_secret_window = 1800",
	     "turn_credential_ttl (3600) must not exceed turn_secret_window (1800)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		config_defaults(&cfg);
		char err[256] = "";
		assert_int_equal(
		    config_parse_text(&cfg, cases[i].line, strlen(cases[i].line), err, sizeof(err)),
		    -1);
		assert_string_equal(err, cases[i].error);
	}
}

static void test_realm_longer_than_coturn_allows(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	char line[200];
	snprintf(line, sizeof(line), "realm = %0128d", 0);
	char err[256];
	assert_int_equal(config_parse_text(&cfg, line, strlen(line), err, sizeof(err)), -1);
	assert_string_equal(err, "realm: longer than 127 characters");
}

static void test_ttl_check_after_flags(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	char err[256];
	assert_int_equal(config_set(&cfg, "turn_credential_ttl", "7200", err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "turn_secret_window", "3600", err, sizeof(err)), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "must not exceed turn_secret_window"));
	assert_int_equal(config_set(&cfg, "turn_secret_window", "7200", err, sizeof(err)), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_consistent_file_passes),
	    cmocka_unit_test(test_other_spellings_pass),
	    cmocka_unit_test(test_realm_differs),
	    cmocka_unit_test(test_realm_missing),
	    cmocka_unit_test(test_use_auth_secret_missing),
	    cmocka_unit_test(test_use_auth_secret_turned_off),
	    cmocka_unit_test(test_use_auth_secret_not_boolean),
	    cmocka_unit_test(test_static_auth_secret_present),
	    cmocka_unit_test(test_userdb_differs),
	    cmocka_unit_test(test_userdb_missing),
	    cmocka_unit_test(test_userdb_same_file_by_another_path),
	    cmocka_unit_test(test_lt_cred_mech_with_use_auth_secret),
	    cmocka_unit_test(test_no_auth_present),
	    cmocka_unit_test(test_other_database_present),
	    cmocka_unit_test(test_max_credential_lifetime),
	    cmocka_unit_test(test_every_problem_counted),
	    cmocka_unit_test(test_small_report_buffer_still_counts),
	    cmocka_unit_test(test_nul_byte_is_unreadable),
	    cmocka_unit_test(test_check_file),
	    cmocka_unit_test(test_turn_options_defaults),
	    cmocka_unit_test(test_turn_options_parse),
	    cmocka_unit_test(test_turn_option_ranges),
	    cmocka_unit_test(test_realm_longer_than_coturn_allows),
	    cmocka_unit_test(test_ttl_check_after_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
