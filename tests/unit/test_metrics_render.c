/*
 * test_metrics_render.c: the Prometheus text of struct metrics: every family
 * has HELP and TYPE before its samples, counters end in _total, label values
 * are escaped, histogram buckets are cumulative with +Inf equal to the count
 * and an exact sum, values outside the label tables fold into "other", and
 * the process figures come from /proc.
 */
#include "metrics/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *render(const struct metrics *metrics, const char *version)
{
	struct metrics_gauges gauges = {.version = version,
	                                .start_time_seconds = 1700000000,
	                                .uptime_seconds = 42,
	                                .signaling_connections = 3,
	                                .metrics_connections = 1,
	                                .websocket_sessions = 2,
	                                .authenticated_sessions = 1,
	                                .rooms = 1,
	                                .room_peers = 2};
	size_t length = 0;
	char *text = metrics_render(metrics, &gauges, &length);
	assert_non_null(text);
	assert_int_equal(length, strlen(text));
	return text;
}

/* The value of the sample line that starts with prefix ("name{labels}"), or
 * -1 when there is none. */
static double sample_value(const char *text, const char *prefix)
{
	size_t prefix_length = strlen(prefix);
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		if (strncmp(line, prefix, prefix_length) == 0 && line[prefix_length] == ' ')
			return strtod(line + prefix_length + 1, NULL);
		line = end ? end + 1 : line + strlen(line);
	}
	return -1;
}

static void test_every_family_has_help_and_type(void **state)
{
	struct metrics metrics;
	metrics_init(&metrics);
	char *text = render(&metrics, "1.2.3");
	assert_true(text[strlen(text) - 1] == '\n');

	char family[128] = "", type[16] = "";
	int help_seen = 0, samples = 0;
	char *copy = strdup(text);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", family), 1);
			help_seen = 1;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char name[128];
			assert_int_equal(sscanf(line + 7, "%127s %15s", name, type), 2);
			assert_true(help_seen);
			assert_string_equal(name, family);
			help_seen = 0;
			continue;
		}
		assert_true(line[0] != '#');
		/* A sample belongs to the family above it. */
		assert_int_equal(strncmp(line, family, strlen(family)), 0);
		const char *rest = line + strlen(family);
		if (strcmp(type, "histogram") == 0)
			assert_true(strncmp(rest, "_bucket{", 8) == 0 ||
			            strncmp(rest, "_sum ", 5) == 0 ||
			            strncmp(rest, "_count ", 7) == 0);
		else
			assert_true(*rest == '{' || *rest == ' ');
		if (strcmp(type, "counter") == 0)
			assert_int_equal(strcmp(family + strlen(family) - 6, "_total"), 0);
		assert_int_equal(strncmp(family, "icegate_", 8), 0);
		samples++;
	}
	assert_true(samples > 100);
	assert_int_equal(sample_value(text, "icegate_build_info{version=\"1.2.3\"}"), 1);
	assert_int_equal(sample_value(text, "icegate_connections{listener=\"signaling\"}"), 3);
	assert_int_equal(sample_value(text, "icegate_connections{listener=\"metrics\"}"), 1);
	assert_int_equal(sample_value(text, "icegate_room_peers"), 2);
	assert_int_equal(sample_value(text, "icegate_uptime_seconds"), 42);
	/* Without process figures their families are left out, not zero. */
	assert_null(strstr(text, "icegate_process_"));
	free(copy);
	free(text);
}

static void test_label_values_are_escaped(void **state)
{
	struct metrics metrics;
	metrics_init(&metrics);
	char *text = render(&metrics, "1.0\"x\\y\nz");
	assert_non_null(strstr(text, "icegate_build_info{version=\"1.0\\\"x\\\\y\\nz\"} 1\n"));
	free(text);
}

static void test_histogram_is_cumulative(void **state)
{
	struct metrics metrics;
	metrics_init(&metrics);
	metrics_observe_relay_latency(&metrics, -5);           /* clock step: 0 */
	metrics_observe_relay_latency(&metrics, 50000);        /* exactly 50 us: le 5e-05 */
	metrics_observe_relay_latency(&metrics, 50001);        /* just above: le 0.0001 */
	metrics_observe_relay_latency(&metrics, 3000000);      /* 3 ms: le 0.005 */
	metrics_observe_relay_latency(&metrics, 1000000000);   /* exactly 1 s: le 1 */
	metrics_observe_relay_latency(&metrics, 2500000000LL); /* 2.5 s: +Inf only */
	char *text = render(&metrics, "v");
	const char *bucket = "icegate_relay_latency_seconds_bucket";
	struct {
		const char *le;
		double cumulative;
	} expected[] = {{"5e-05", 2},  {"0.0001", 3}, {"0.00025", 3}, {"0.0005", 3}, {"0.001", 3},
	                {"0.0025", 3}, {"0.005", 4},  {"0.01", 4},    {"0.025", 4},  {"0.05", 4},
	                {"0.1", 4},    {"0.25", 4},   {"0.5", 4},     {"1", 5},      {"+Inf", 6}};
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		char prefix[96];
		snprintf(prefix, sizeof(prefix), "%s{le=\"%s\"}", bucket, expected[i].le);
		assert_int_equal(sample_value(text, prefix), expected[i].cumulative);
	}
	assert_int_equal(sample_value(text, "icegate_relay_latency_seconds_count"), 6);
	assert_non_null(strstr(text, "icegate_relay_latency_seconds_sum 3.503100001\n"));
	free(text);
}

static void test_unknown_values_fold_into_other(void **state)
{
	struct metrics metrics;
	metrics_init(&metrics);
	metrics_count_http_status(&metrics, 404);
	metrics_count_http_status(&metrics, 299);
	metrics_count_http_status(&metrics, -1);
	metrics_count_websocket_close(&metrics, 4403);
	metrics_count_websocket_close(&metrics, 4000);
	metrics_count_message_received(&metrics, "offer");
	metrics_count_message_received(&metrics, "alice's own type\n");
	metrics_count_message_received(&metrics, NULL);
	metrics_count_message_relayed(&metrics, "candidate");
	metrics_count_error_sent(&metrics, "room_full");
	metrics_count_error_sent(&metrics, "made_up");
	metrics_count_auth(&metrics, METRICS_AUTH_LOGIN_BAD_CREDENTIALS);
	metrics_count_auth(&metrics, (enum metrics_auth_outcome)999); /* ignored */
	metrics_count_turn_credential(&metrics, METRICS_TURN_REST_API);
	metrics_count_revocation(&metrics, METRICS_REVOCATION_TURN_REVOKED);
	char *text = render(&metrics, "v");
	assert_int_equal(sample_value(text, "icegate_http_responses_total{code=\"404\"}"), 1);
	assert_int_equal(sample_value(text, "icegate_http_responses_total{code=\"other\"}"), 2);
	assert_int_equal(sample_value(text, "icegate_http_responses_total{code=\"200\"}"), 0);
	assert_int_equal(sample_value(text, "icegate_websocket_closes_total{code=\"4403\"}"), 1);
	assert_int_equal(sample_value(text, "icegate_websocket_closes_total{code=\"other\"}"), 1);
	assert_int_equal(
	    sample_value(text, "icegate_signaling_messages_received_total{type=\"offer\"}"), 1);
	assert_int_equal(
	    sample_value(text, "icegate_signaling_messages_received_total{type=\"other\"}"), 2);
	assert_int_equal(
	    sample_value(text, "icegate_signaling_messages_relayed_total{type=\"candidate\"}"), 1);
	assert_int_equal(sample_value(text, "icegate_signaling_errors_total{code=\"room_full\"}"),
	                 1);
	assert_int_equal(sample_value(text, "icegate_signaling_errors_total{code=\"other\"}"), 1);
	assert_int_equal(sample_value(text, "icegate_auth_attempts_total{method=\"login\","
	                                    "result=\"bad_credentials\"}"),
	                 1);
	assert_int_equal(
	    sample_value(text, "icegate_turn_credentials_issued_total{endpoint=\"turn_rest_api\"}"),
	    1);
	assert_int_equal(sample_value(text, "icegate_revocations_total{kind=\"turn_revoked\"}"), 1);
	/* A value a client chose never becomes a label. */
	assert_null(strstr(text, "alice"));
	assert_null(strstr(text, "made_up"));
	free(text);
}

static void test_process_figures(void **state)
{
	struct metrics_process process;
	assert_int_equal(metrics_process_read(&process), 0);
	assert_true(process.resident_bytes > 0);
	assert_true(process.virtual_bytes >= process.resident_bytes);
	assert_true(process.open_fds >= 3); /* stdin, stdout, stderr */
	assert_true(process.max_fds > 0);

	/* One more descriptor is one more in the count. */
	FILE *extra = tmpfile();
	assert_non_null(extra);
	struct metrics_process after;
	assert_int_equal(metrics_process_read(&after), 0);
	assert_int_equal(after.open_fds, process.open_fds + 1);
	fclose(extra);

	struct metrics metrics;
	metrics_init(&metrics);
	struct metrics_gauges gauges = {.version = "v", .process_known = 1, .process = process};
	size_t length;
	char *text = metrics_render(&metrics, &gauges, &length);
	assert_non_null(text);
	assert_int_equal(sample_value(text, "icegate_process_open_fds"), (double)process.open_fds);
	assert_true(sample_value(text, "icegate_process_resident_memory_bytes") > 0);
	assert_true(sample_value(text, "icegate_process_cpu_seconds_total") >= 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_family_has_help_and_type),
	    cmocka_unit_test(test_label_values_are_escaped),
	    cmocka_unit_test(test_histogram_is_cumulative),
	    cmocka_unit_test(test_unknown_values_fold_into_other),
	    cmocka_unit_test(test_process_figures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
