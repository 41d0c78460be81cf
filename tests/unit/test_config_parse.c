/*
 * test_config_parse.c: the signaling.conf parser: every option read into its
 * field, the syntax (comments, quotes, blanks, CRLF), each shape of error with
 * the line and key it names, the -p listen forms, and the shipped
 * etc/signaling.conf agreeing with the embedded defaults.
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

static int parse(struct config *cfg, const char *text, char *err, size_t err_size)
{
	config_defaults(cfg);
	err[0] = '\0';
	return config_parse_text(cfg, text, strlen(text), err, err_size);
}

/* Parses text and expects exactly the error message expected. */
static void expect_error(const char *text, const char *expected)
{
	struct config cfg;
	char err[512];
	assert_int_equal(parse(&cfg, text, err, sizeof(err)), -1);
	assert_string_equal(err, expected);
}

static void test_defaults(void **state)
{
	struct config cfg;
	config_defaults(&cfg);
	assert_string_equal(cfg.listen_host, "");
	assert_int_equal(cfg.port, 8080);
	assert_string_equal(cfg.domain, "localhost");
	assert_string_equal(cfg.db_path, "icegate.db");
	assert_string_equal(cfg.jwt_secret, "");
	assert_int_equal(cfg.access_token_ttl, 600);
	assert_int_equal(cfg.refresh_token_ttl, 30 * 86400);
	assert_int_equal(cfg.max_message_bytes, 65536);
	assert_int_equal(cfg.guest_access, 0);
	assert_string_equal(cfg.log_level, "info");
}

static void test_every_key(void **state)
{
	static const char text[] = "listen_host = 127.0.0.1\n"
	                           "port = 9000\n"
	                           "domain = signal.example.org\n"
	                           "allowed_origins = https://a.example,https://b.example\n"
	                           "db_path = /var/lib/icegate/icegate.db\n"
	                           "web_root = /usr/share/icegate/web\n"
	                           "jwt_secret = 0123456789abcdef0123456789abcdef\n"
	                           "issuer = iss\n"
	                           "audience = aud\n"
	                           "access_token_ttl = 2\n"
	                           "refresh_token_ttl = 3600\n"
	                           "token_leeway = 0\n"
	                           "guest_access = on\n"
	                           "login_attempts_per_minute = 3\n"
	                           "max_message_bytes = 1048576\n"
	                           "messages_per_second = 5\n"
	                           "message_burst = 7\n"
	                           "max_connections_per_address = 4\n"
	                           "max_peers_per_room = 2\n"
	                           "auth_timeout = 1\n"
	                           "ping_interval = 10\n"
	                           "idle_timeout = 25\n"
	                           "max_violations = 6\n"
	                           "worker_threads = 4\n"
	                           "user_poll_interval_ms = 100\n"
	                           "log_level = debug\n";
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, text, err, sizeof(err)), 0);
	assert_string_equal(cfg.listen_host, "127.0.0.1");
	assert_int_equal(cfg.port, 9000);
	assert_string_equal(cfg.domain, "signal.example.org");
	assert_string_equal(cfg.allowed_origins, "https://a.example,https://b.example");
	assert_string_equal(cfg.db_path, "/var/lib/icegate/icegate.db");
	assert_string_equal(cfg.web_root, "/usr/share/icegate/web");
	assert_string_equal(cfg.jwt_secret, "0123456789abcdef0123456789abcdef");
	assert_string_equal(cfg.issuer, "iss");
	assert_string_equal(cfg.audience, "aud");
	assert_int_equal(cfg.access_token_ttl, 2);
	assert_int_equal(cfg.refresh_token_ttl, 3600);
	assert_int_equal(cfg.token_leeway, 0);
	assert_int_equal(cfg.guest_access, 1);
	assert_int_equal(cfg.login_attempts_per_minute, 3);
	assert_int_equal(cfg.max_message_bytes, 1048576);
	assert_int_equal(cfg.messages_per_second, 5);
	assert_int_equal(cfg.message_burst, 7);
	assert_int_equal(cfg.max_connections_per_address, 4);
	assert_int_equal(cfg.max_peers_per_room, 2);
	assert_int_equal(cfg.auth_timeout, 1);
	assert_int_equal(cfg.ping_interval, 10);
	assert_int_equal(cfg.idle_timeout, 25);
	assert_int_equal(cfg.max_violations, 6);
	assert_int_equal(cfg.worker_threads, 4);
	assert_int_equal(cfg.user_poll_interval_ms, 100);
	assert_string_equal(cfg.log_level, "debug");
}

/* ---- syntax accepted ---- */

static void test_empty_text(void **state)
{
	struct config cfg, defaults;
	char err[64];
	assert_int_equal(parse(&cfg, "", err, sizeof(err)), 0);
	config_defaults(&defaults);
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
}

static void test_comments_and_blank_lines(void **state)
{
	struct config cfg;
	char err[128];
	assert_int_equal(parse(&cfg,
	                       "# a comment\n"
	                       "\n"
	                       "   \t\n"
	                       "    # an indented comment\n"
	                       "port = 9001 # trailing comment\n"
	                       "domain = a#b\n",
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.port, 9001);
	assert_string_equal(cfg.domain, "a#b");
}

static void test_whitespace_trimmed_and_crlf(void **state)
{
	struct config cfg;
	char err[128];
	assert_int_equal(
	    parse(&cfg, "  \tport\t=\t  9002  \r\ndomain=x.example\r\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.port, 9002);
	assert_string_equal(cfg.domain, "x.example");
}

static void test_last_line_without_newline(void **state)
{
	struct config cfg;
	char err[128];
	assert_int_equal(parse(&cfg, "port = 1\nmax_peers_per_room = 9", err, sizeof(err)), 0);
	assert_int_equal(cfg.max_peers_per_room, 9);
}

static void test_quoted_values(void **state)
{
	struct config cfg;
	char err[128];
	assert_int_equal(parse(&cfg,
	                       "web_root = \"/srv/my web # root\"  # comment\n"
	                       "allowed_origins = \"\"\n"
	                       "port = \"8443\"\n",
	                       err, sizeof(err)),
	                 0);
	assert_string_equal(cfg.web_root, "/srv/my web # root");
	assert_string_equal(cfg.allowed_origins, "");
	assert_int_equal(cfg.port, 8443);
}

static void test_later_line_wins(void **state)
{
	struct config cfg;
	char err[128];
	assert_int_equal(parse(&cfg, "port = 1000\nport = 2000\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.port, 2000);
}

static void test_booleans(void **state)
{
	static const char *const truths[] = {"on", "yes", "true", "1", "ON", "True"};
	static const char *const falsehoods[] = {"off", "no", "false", "0", "OFF", "No"};
	struct config cfg;
	char text[64], err[128];
	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		snprintf(text, sizeof(text), "guest_access = %s\n", truths[i]);
		assert_int_equal(parse(&cfg, text, err, sizeof(err)), 0);
		assert_int_equal(cfg.guest_access, 1);
		snprintf(text, sizeof(text), "guest_access = on\nguest_access = %s\n",
		         falsehoods[i]);
		assert_int_equal(parse(&cfg, text, err, sizeof(err)), 0);
		assert_int_equal(cfg.guest_access, 0);
	}
}

static void test_range_limits_accepted(void **state)
{
	struct config cfg;
	char err[128];
	assert_int_equal(parse(&cfg,
	                       "port = 65535\naccess_token_ttl = 86400\nmax_message_bytes = 1024\n"
	                       "worker_threads = 64\n",
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.port, 65535);
	assert_int_equal(cfg.max_message_bytes, 1024);
	assert_int_equal(
	    parse(&cfg, "access_token_ttl = 1\nmax_message_bytes = 16777216\n", err, sizeof(err)),
	    0);
	assert_int_equal(cfg.max_message_bytes, 16777216);
}

static void test_secret_of_exactly_32_characters(void **state)
{
	struct config cfg;
	char err[128];
	assert_int_equal(
	    parse(&cfg, "jwt_secret = abcdefghijklmnopqrstuvwxyz012345\n", err, sizeof(err)), 0);
	assert_int_equal(strlen(cfg.jwt_secret), 32);
}

/* ---- errors, one shape each ---- */

static void test_unknown_key(void **state)
{
	expect_error("port = 1\ncolour = blue\n", "line 2: colour: unknown option");
}

static void test_line_without_equals(void **state)
{
	expect_error("port 8080\n", "line 1: expected 'key = value'");
}

static void test_missing_key(void **state)
{
	expect_error("= 8080\n", "line 1: missing key before '='");
}

static void test_malformed_key(void **state)
{
	expect_error("Port = 8080\n", "line 1: malformed key (lowercase letters, digits and '_')");
}

static void test_key_with_space(void **state)
{
	expect_error("max peers = 3\n",
	             "line 1: malformed key (lowercase letters, digits and '_')");
}

static void test_not_a_number(void **state)
{
	expect_error("\n\nport = abc\n", "line 3: port: not a number in 1..65535");
}

static void test_number_with_suffix(void **state)
{
	expect_error("access_token_ttl = 10s\n",
	             "line 1: access_token_ttl: not a number in 1..86400");
}

static void test_number_with_plus_sign(void **state)
{
	expect_error("port = +80\n", "line 1: port: not a number in 1..65535");
}

static void test_number_empty(void **state)
{
	expect_error("port =\n", "line 1: port: not a number in 1..65535");
}

static void test_number_overflowing(void **state)
{
	expect_error("port = 99999999999999999999999\n", "line 1: port: not a number in 1..65535");
}

static void test_port_zero(void **state)
{
	expect_error("port = 0\n", "line 1: port: not a number in 1..65535");
}

static void test_port_too_high(void **state)
{
	expect_error("port = 65536\n", "line 1: port: not a number in 1..65535");
}

static void test_negative_number(void **state)
{
	expect_error("token_leeway = -1\n", "line 1: token_leeway: not a number in 0..300");
}

static void test_access_token_ttl_too_high(void **state)
{
	expect_error("access_token_ttl = 86401\n",
	             "line 1: access_token_ttl: not a number in 1..86400");
}

static void test_max_message_bytes_too_low(void **state)
{
	expect_error("max_message_bytes = 1023\n",
	             "line 1: max_message_bytes: not a number in 1024..16777216");
}

static void test_max_message_bytes_too_high(void **state)
{
	expect_error("max_message_bytes = 16777217\n",
	             "line 1: max_message_bytes: not a number in 1024..16777216");
}

static void test_worker_threads_too_high(void **state)
{
	expect_error("worker_threads = 65\n", "line 1: worker_threads: not a number in 1..64");
}

static void test_bad_boolean(void **state)
{
	expect_error("guest_access = maybe\n",
	             "line 1: guest_access: not a boolean (on/off, yes/no, true/false, 1/0)");
}

static void test_bad_log_level(void **state)
{
	expect_error("log_level = verbose\n",
	             "line 1: log_level: not one of debug, info, warn, error");
}

static void test_short_secret(void **state)
{
	expect_error("jwt_secret = tooshort\n",
	             "line 1: jwt_secret: must be at least 32 characters");
}

static void test_required_value_empty(void **state)
{
	expect_error("db_path = \"\"\n", "line 1: db_path: must not be empty");
}

static void test_value_too_long(void **state)
{
	char text[400];
	int n = snprintf(text, sizeof(text), "domain = ");
	memset(text + n, 'a', 256);
	snprintf(text + n + 256, sizeof(text) - (size_t)n - 256, "\n");
	expect_error(text, "line 1: domain: longer than 255 characters");
}

static void test_log_level_too_long(void **state)
{
	expect_error("log_level = debugdebugdebugdebug\n",
	             "line 1: log_level: longer than 15 characters");
}

static void test_line_too_long(void **state)
{
	size_t size = 5000;
	char *text = malloc(size + 1);
	assert_non_null(text);
	memset(text, '#', size);
	text[size] = '\0';
	struct config cfg;
	char err[128];
	int rc = parse(&cfg, text, err, sizeof(err));
	free(text);
	assert_int_equal(rc, -1);
	assert_string_equal(err, "line 1: longer than 4096 characters");
}

static void test_nul_byte(void **state)
{
	static const char text[] = "port = 80\0 # hidden\n";
	struct config cfg;
	char err[128];
	config_defaults(&cfg);
	assert_int_equal(config_parse_text(&cfg, text, sizeof(text) - 1, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: contains a NUL byte");
}

static void test_unterminated_quote(void **state)
{
	expect_error("domain = \"example.org\n", "line 1: domain: unterminated quote");
}

static void test_text_after_quote(void **state)
{
	expect_error("domain = \"a\" b\n", "line 1: domain: text after the closing quote");
}

static void test_cert_without_pkey(void **state)
{
	expect_error("cert = /etc/icegate/fullchain.pem\n",
	             "cert and pkey go together: set both for HTTPS, or neither");
	expect_error("pkey = /etc/icegate/privkey.pem\n",
	             "cert and pkey go together: set both for HTTPS, or neither");
}

static void test_cert_with_pkey(void **state)
{
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, "cert = a.pem\npkey = b.pem\n", err, sizeof(err)), 0);
	assert_string_equal(cfg.cert, "a.pem");
	assert_string_equal(cfg.pkey, "b.pem");
}

static void test_bad_log_format(void **state)
{
	expect_error("log_format = xml\n", "line 1: log_format: not one of text, json");
}

static void test_metrics_listen(void **state)
{
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, "metrics_listen = [::1]:9090\n", err, sizeof(err)), 0);
	assert_string_equal(cfg.metrics_listen, "[::1]:9090");
	expect_error("metrics_listen = 127.0.0.1:\n", "line 1: metrics_listen: port missing");
	expect_error("metrics_listen = ::1:9090\n",
	             "line 1: metrics_listen: an IPv6 address needs brackets: [ADDRESS]:PORT");
	expect_error("metrics_listen = 127.0.0.1:70000\n",
	             "line 1: metrics_listen: port is not a number in 1..65535");
}

static void test_control_socket_path(void **state)
{
	struct config cfg;
	char path[256], err[256];
	config_defaults(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "/var/lib/icegate/icegate.db");
	assert_int_equal(config_control_socket_path(&cfg, path, sizeof(path), err, sizeof(err)), 0);
	assert_string_equal(path, "/var/lib/icegate/icegate.db.sock");
	snprintf(cfg.control_socket, sizeof(cfg.control_socket), "/run/icegate/ctl.sock");
	assert_int_equal(config_control_socket_path(&cfg, path, sizeof(path), err, sizeof(err)), 0);
	assert_string_equal(path, "/run/icegate/ctl.sock");
	snprintf(cfg.control_socket, sizeof(cfg.control_socket), "off");
	assert_int_equal(config_control_socket_path(&cfg, path, sizeof(path), err, sizeof(err)), 1);
	/* A Unix socket path holds at most 107 bytes. */
	memset(cfg.control_socket, 'a', 120);
	cfg.control_socket[120] = '\0';
	assert_int_equal(config_control_socket_path(&cfg, path, sizeof(path), err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "longer than 107 bytes"));
}

static void test_bad_listen_host(void **state)
{
	expect_error("listen_host = 127.0.0.1/8\n",
	             "line 1: listen_host: host contains a character not allowed in an address");
}

static void test_error_never_shows_the_value(void **state)
{
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, "jwt_secret = hunter2-secret\n", err, sizeof(err)), -1);
	assert_null(strstr(err, "hunter2"));
}

static void test_config_set_unknown_key(void **state)
{
	struct config cfg;
	char err[128];
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "no_such_thing", "1", err, sizeof(err)), -1);
	assert_string_equal(err, "no_such_thing: unknown option");
	assert_int_equal(config_set(&cfg, "port", "1234", err, sizeof(err)), 0);
	assert_int_equal(cfg.port, 1234);
}

/* ---- files ---- */

static void test_load_missing_file(void **state)
{
	struct config cfg;
	char err[256];
	config_defaults(&cfg);
	assert_int_equal(config_load_file(&cfg, "/nonexistent/icegate.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/icegate.conf: No such file or directory");
}

static void test_load_file_error_names_file_and_line(void **state)
{
	char path[] = "/tmp/icegate-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *file = fdopen(fd, "w");
	fputs("port = 9000\nidle_timeout = forever\n", file);
	fclose(file);
	struct config cfg;
	char err[512], expected[512];
	config_defaults(&cfg);
	int rc = config_load_file(&cfg, path, err, sizeof(err));
	snprintf(expected, sizeof(expected), "%s: line 2: idle_timeout: not a number in 1..86400",
	         path);
	unlink(path);
	assert_int_equal(rc, -1);
	assert_string_equal(err, expected);
}

/* The shipped file, found from this source file's own location. */
static char *read_shipped_config(size_t *length)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", __FILE__);
	char *slash = strrchr(path, '/');
	assert_non_null(slash);
	snprintf(slash, sizeof(path) - (size_t)(slash - path), "/../../etc/signaling.conf");
	FILE *file = fopen(path, "r");
	assert_non_null(file);
	char *text = calloc(1, 1 << 20);
	assert_non_null(text);
	*length = fread(text, 1, (1 << 20) - 1, file);
	fclose(file);
	return text;
}

static void test_shipped_file_parses_to_defaults(void **state)
{
	size_t length;
	char *text = read_shipped_config(&length);
	struct config cfg, defaults;
	char err[256];
	config_defaults(&cfg);
	config_defaults(&defaults);
	int rc = config_parse_text(&cfg, text, length, err, sizeof(err));
	free(text);
	assert_int_equal(rc, 0);
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
}

/* Uncommenting every "# key = value" line must change nothing: the values the
 * file documents are the embedded defaults. */
static void test_shipped_file_documents_the_defaults(void **state)
{
	size_t length;
	char *text = read_shipped_config(&length);
	char *uncommented = calloc(1, length + 1);
	assert_non_null(uncommented);
	size_t out = 0;
	int options = 0;
	for (char *line = text; line < text + length;) {
		char *newline = memchr(line, '\n', (size_t)(text + length - line));
		size_t line_length = newline ? (size_t)(newline - line) + 1 : strlen(line);
		int is_option = strncmp(line, "# ", 2) == 0 && line[2] >= 'a' && line[2] <= 'z' &&
		                memchr(line, '=', line_length) != NULL;
		if (is_option) {
			options++;
			line += 2;
			line_length -= 2;
		}
		memcpy(uncommented + out, line, line_length);
		out += line_length;
		line += line_length;
	}
	struct config cfg, defaults;
	char err[256];
	config_defaults(&cfg);
	config_defaults(&defaults);
	int rc = config_parse_text(&cfg, uncommented, out, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	free(text);
	free(uncommented);
	assert_int_equal(rc, 0);
	assert_int_equal(options, 39); /* every option of struct config */
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
}

/* ---- listen forms ---- */

static void expect_listen(const char *spec, const char *host, int port)
{
	struct config cfg;
	char err[128];
	config_defaults(&cfg);
	snprintf(cfg.listen_host, sizeof(cfg.listen_host), "previous");
	assert_int_equal(config_set_listen(&cfg, spec, err, sizeof(err)), 0);
	assert_string_equal(cfg.listen_host, host);
	assert_int_equal(cfg.port, port);
}

static void expect_listen_error(const char *spec, const char *expected)
{
	struct config cfg;
	char err[128];
	config_defaults(&cfg);
	assert_int_equal(config_set_listen(&cfg, spec, err, sizeof(err)), -1);
	assert_string_equal(err, expected);
	assert_int_equal(cfg.port, 8080);
	assert_string_equal(cfg.listen_host, "");
}

static void test_listen_port_only(void **state)
{
	expect_listen("8080", "", 8080);
}

static void test_listen_colon_port(void **state)
{
	expect_listen(":9090", "", 9090);
}

static void test_listen_host_port(void **state)
{
	expect_listen("127.0.0.1:3000", "127.0.0.1", 3000);
	expect_listen("signal.example.org:443", "signal.example.org", 443);
}

static void test_listen_ipv6(void **state)
{
	expect_listen("[::1]:8443", "::1", 8443);
	expect_listen("[fe80::1%eth0]:80", "fe80::1%eth0", 80);
}

static void test_listen_empty(void **state)
{
	expect_listen_error("", "listen: empty; expected PORT, :PORT, HOST:PORT or [IPv6]:PORT");
}

static void test_listen_colon_only(void **state)
{
	expect_listen_error(":", "listen: port missing");
}

static void test_listen_host_without_port(void **state)
{
	expect_listen_error("host:", "listen: port missing");
}

static void test_listen_port_too_high(void **state)
{
	expect_listen_error("99999", "listen: port is not a number in 1..65535");
}

static void test_listen_not_a_number(void **state)
{
	expect_listen_error("abc", "listen: port is not a number in 1..65535");
}

static void test_listen_port_zero(void **state)
{
	expect_listen_error("1.2.3.4:0", "listen: port is not a number in 1..65535");
}

static void test_listen_unbracketed_ipv6(void **state)
{
	expect_listen_error("::1:8080", "listen: an IPv6 address needs brackets: [ADDRESS]:PORT");
}

static void test_listen_bracket_without_port(void **state)
{
	expect_listen_error("[::1]", "listen: expected ':PORT' after ']'");
}

static void test_listen_unclosed_bracket(void **state)
{
	expect_listen_error("[::1:80", "listen: missing ']' after the IPv6 address");
}

static void test_listen_empty_brackets(void **state)
{
	expect_listen_error("[]:80", "listen: empty address between '[' and ']'");
}

static void test_listen_bad_host(void **state)
{
	expect_listen_error("bad host:80",
	                    "listen: host contains a character not allowed in an address");
}

static void test_listen_host_too_long(void **state)
{
	char spec[300];
	memset(spec, 'a', 260);
	snprintf(spec + 260, sizeof(spec) - 260, ":80");
	expect_listen_error(spec, "listen: host longer than 255 characters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_empty_text),
	    cmocka_unit_test(test_comments_and_blank_lines),
	    cmocka_unit_test(test_whitespace_trimmed_and_crlf),
	    cmocka_unit_test(test_last_line_without_newline),
	    cmocka_unit_test(test_quoted_values),
	    cmocka_unit_test(test_later_line_wins),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_range_limits_accepted),
	    cmocka_unit_test(test_secret_of_exactly_32_characters),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_line_without_equals),
	    cmocka_unit_test(test_missing_key),
	    cmocka_unit_test(test_malformed_key),
	    cmocka_unit_test(test_key_with_space),
	    cmocka_unit_test(test_not_a_number),
	    cmocka_unit_test(test_number_with_suffix),
	    cmocka_unit_test(test_number_with_plus_sign),
	    cmocka_unit_test(test_number_empty),
	    cmocka_unit_test(test_number_overflowing),
	    cmocka_unit_test(test_port_zero),
	    cmocka_unit_test(test_port_too_high),
	    cmocka_unit_test(test_negative_number),
	    cmocka_unit_test(test_access_token_ttl_too_high),
	    cmocka_unit_test(test_max_message_bytes_too_low),
	    cmocka_unit_test(test_max_message_bytes_too_high),
	    cmocka_unit_test(test_worker_threads_too_high),
	    cmocka_unit_test(test_bad_boolean),
	    cmocka_unit_test(test_bad_log_level),
	    cmocka_unit_test(test_short_secret),
	    cmocka_unit_test(test_required_value_empty),
	    cmocka_unit_test(test_value_too_long),
	    cmocka_unit_test(test_log_level_too_long),
	    cmocka_unit_test(test_line_too_long),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_unterminated_quote),
	    cmocka_unit_test(test_text_after_quote),
	    cmocka_unit_test(test_bad_listen_host),
	    cmocka_unit_test(test_cert_without_pkey),
	    cmocka_unit_test(test_control_socket_path),
	    cmocka_unit_test(test_cert_with_pkey),
	    cmocka_unit_test(test_bad_log_format),
	    cmocka_unit_test(test_metrics_listen),
	    cmocka_unit_test(test_error_never_shows_the_value),
	    cmocka_unit_test(test_config_set_unknown_key),
	    cmocka_unit_test(test_load_missing_file),
	    cmocka_unit_test(test_load_file_error_names_file_and_line),
	    cmocka_unit_test(test_shipped_file_parses_to_defaults),
	    cmocka_unit_test(test_shipped_file_documents_the_defaults),
	    cmocka_unit_test(test_listen_port_only),
	    cmocka_unit_test(test_listen_colon_port),
	    cmocka_unit_test(test_listen_host_port),
	    cmocka_unit_test(test_listen_ipv6),
	    cmocka_unit_test(test_listen_empty),
	    cmocka_unit_test(test_listen_colon_only),
	    cmocka_unit_test(test_listen_host_without_port),
	    cmocka_unit_test(test_listen_port_too_high),
	    cmocka_unit_test(test_listen_not_a_number),
	    cmocka_unit_test(test_listen_port_zero),
	    cmocka_unit_test(test_listen_unbracketed_ipv6),
	    cmocka_unit_test(test_listen_bracket_without_port),
	    cmocka_unit_test(test_listen_unclosed_bracket),
	    cmocka_unit_test(test_listen_empty_brackets),
	    cmocka_unit_test(test_listen_bad_host),
	    cmocka_unit_test(test_listen_host_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
