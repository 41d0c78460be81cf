/*
 * metrics_render.c: the Prometheus text exposition format (version 0.0.4)
 * of struct metrics and struct metrics_gauges. Each family gets its HELP and
 * TYPE lines; counters end in _total; every known label value is printed
 * even at zero, so rate() works from the first scrape; label values are
 * escaped (backslash, double quote, newline) and the text ends in a newline.
 */
#include "metrics/metrics_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Label values escape \, " and newline; HELP text escapes \ and newline. */
static void write_escaped(FILE *out, const char *text, int in_label)
{
	for (const char *c = text; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", out);
		else if (*c == '\n')
			fputs("\\n", out);
		else if (*c == '"' && in_label)
			fputs("\\\"", out);
		else
			fputc(*c, out);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s ", name);
	write_escaped(out, help, 0);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

/* One sample: name{key="value",...} value. labels holds pair_count
 * key/value pairs. */
static void sample(FILE *out, const char *name, const char *const *labels, size_t pair_count,
                   const char *value)
{
	fputs(name, out);
	for (size_t i = 0; i < pair_count; i++) {
		fprintf(out, "%s%s=\"", i == 0 ? "{" : ",", labels[2 * i]);
		write_escaped(out, labels[2 * i + 1], 1);
		fputc('"', out);
	}
	fprintf(out, "%s %s\n", pair_count ? "}" : "", value);
}

static void sample_number(FILE *out, const char *name, const char *key, const char *label,
                          uint64_t value)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRIu64, value);
	const char *labels[2] = {key, label};
	sample(out, name, labels, key ? 1 : 0, text);
}

/* A counter family labelled by the numbers of a table plus "other". */
static void counters_by_number(FILE *out, const char *name, const char *help, const char *key,
                               const int *known, const uint64_t *values, size_t slots)
{
	family(out, name, "counter", help);
	for (size_t i = 0; i < slots; i++) {
		char label[16];
		if (i + 1 < slots)
			snprintf(label, sizeof(label), "%d", known[i]);
		else
			snprintf(label, sizeof(label), "other");
		sample_number(out, name, key, label, values[i]);
	}
}

/* A counter family labelled by the names of a table; with_other adds the
 * "other" slot after them. */
static void counters_by_name(FILE *out, const char *name, const char *help, const char *key,
                             const char *const *known, const uint64_t *values, size_t named,
                             int with_other)
{
	family(out, name, "counter", help);
	for (size_t i = 0; i < named; i++)
		sample_number(out, name, key, known[i], values[i]);
	if (with_other)
		sample_number(out, name, key, "other", values[named]);
}

static void gauge(FILE *out, const char *name, const char *help, int64_t value)
{
	family(out, name, "gauge", help);
	char text[24];
	snprintf(text, sizeof(text), "%" PRId64, value);
	sample(out, name, NULL, 0, text);
}

static void render_counters(FILE *out, const struct metrics *metrics)
{
	counters_by_number(out, "icegate_http_responses_total", "HTTP responses sent, by status.",
	                   "code", metrics_http_statuses, metrics->http_responses,
	                   METRICS_HTTP_STATUS_SLOTS);
	counters_by_number(out, "icegate_websocket_closes_total",
	                   "WebSocket sessions ended, by the close code sent or echoed "
	                   "(1006: the connection dropped without a close).",
	                   "code", metrics_websocket_close_codes, metrics->websocket_closes,
	                   METRICS_WS_CLOSE_SLOTS);
	counters_by_name(out, "icegate_signaling_messages_received_total",
	                 "Signaling messages received from clients, by type.", "type",
	                 metrics_message_types, metrics->messages_received,
	                 METRICS_MESSAGE_TYPE_SLOTS - 1, 1);
	counters_by_name(out, "icegate_signaling_messages_relayed_total",
	                 "Signaling messages relayed to a peer, by type (one per recipient).",
	                 "type", metrics_message_types, metrics->messages_relayed,
	                 METRICS_MESSAGE_TYPE_SLOTS - 1, 1);
	counters_by_name(out, "icegate_signaling_errors_total",
	                 "Signaling error messages sent to clients, by code.", "code",
	                 metrics_error_codes, metrics->errors_sent, METRICS_ERROR_CODE_SLOTS - 1,
	                 1);

	const char *auth_name = "icegate_auth_attempts_total";
	family(out, auth_name, "counter", "Authentication attempts, by method and result.");
	for (size_t i = 0; i < METRICS_AUTH_OUTCOMES; i++) {
		char text[24];
		snprintf(text, sizeof(text), "%" PRIu64, metrics->auth[i]);
		const char *labels[4] = {"method", metrics_auth_labels[i].method, "result",
		                         metrics_auth_labels[i].result};
		sample(out, auth_name, labels, 2, text);
	}

	counters_by_name(out, "icegate_turn_credentials_issued_total",
	                 "TURN credentials issued, by where they were handed out.", "endpoint",
	                 metrics_turn_endpoint_labels, metrics->turn_credentials,
	                 METRICS_TURN_ENDPOINTS, 0);
	counters_by_name(out, "icegate_revocations_total",
	                 "Revocations applied to live sessions, by kind.", "kind",
	                 metrics_revocation_labels, metrics->revocations, METRICS_REVOCATIONS, 0);
}

static void render_latency(FILE *out, const struct metrics_histogram *histogram)
{
	const char *name = "icegate_relay_latency_seconds";
	family(out, name, "histogram",
	       "Time from reading a signaling frame to queueing the relayed message for its "
	       "recipient.");
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= METRICS_LATENCY_BUCKETS; i++) {
		cumulative += histogram->buckets[i];
		char text[24];
		snprintf(text, sizeof(text), "%" PRIu64, cumulative);
		const char *labels[2] = {
		    "le", i < METRICS_LATENCY_BUCKETS ? metrics_latency_bound_labels[i] : "+Inf"};
		sample(out, "icegate_relay_latency_seconds_bucket", labels, 1, text);
	}
	fprintf(out, "%s_sum %" PRIu64 ".%09" PRIu64 "\n", name, histogram->sum_ns / 1000000000,
	        histogram->sum_ns % 1000000000);
	fprintf(out, "%s_count %" PRIu64 "\n", name, histogram->count);
}

static void render_gauges(FILE *out, const struct metrics_gauges *gauges)
{
	const char *info = "icegate_build_info";
	family(out, info, "gauge", "Always 1; the version is in the label.");
	const char *labels[2] = {"version", gauges->version ? gauges->version : ""};
	sample(out, info, labels, 1, "1");
	gauge(out, "icegate_start_time_seconds", "Unix time the server started.",
	      gauges->start_time_seconds);
	gauge(out, "icegate_uptime_seconds", "Seconds since the server started.",
	      gauges->uptime_seconds);

	const char *connections = "icegate_connections";
	family(out, connections, "gauge", "Open TCP connections, by listener.");
	sample_number(out, connections, "listener", "signaling", gauges->signaling_connections);
	sample_number(out, connections, "listener", "metrics", gauges->metrics_connections);
	gauge(out, "icegate_websocket_sessions", "Open WebSocket signaling sessions.",
	      (int64_t)gauges->websocket_sessions);
	gauge(out, "icegate_authenticated_sessions", "WebSocket sessions that are authenticated.",
	      (int64_t)gauges->authenticated_sessions);
	gauge(out, "icegate_rooms", "Rooms with at least one peer.", (int64_t)gauges->rooms);
	gauge(out, "icegate_room_peers", "Peers in rooms, over every room.",
	      (int64_t)gauges->room_peers);

	if (!gauges->process_known)
		return;
	const struct metrics_process *process = &gauges->process;
	gauge(out, "icegate_process_resident_memory_bytes", "Resident memory of the process.",
	      (int64_t)process->resident_bytes);
	gauge(out, "icegate_process_virtual_memory_bytes", "Virtual memory of the process.",
	      (int64_t)process->virtual_bytes);
	gauge(out, "icegate_process_open_fds", "Open file descriptors.",
	      (int64_t)process->open_fds);
	gauge(out, "icegate_process_max_fds", "The open file descriptor limit (0: unlimited).",
	      (int64_t)process->max_fds);
	const char *cpu = "icegate_process_cpu_seconds_total";
	family(out, cpu, "counter", "User and system CPU time used by the process.");
	char text[32];
	snprintf(text, sizeof(text), "%.6f", process->cpu_seconds);
	sample(out, cpu, NULL, 0, text);
}

char *metrics_render(const struct metrics *metrics, const struct metrics_gauges *gauges,
                     size_t *length)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		return NULL;
	render_counters(out, metrics);
	render_latency(out, &metrics->relay_latency);
	render_gauges(out, gauges);
	int failed = ferror(out);
	if (fclose(out) != 0 || failed) {
		free(text);
		return NULL;
	}
	*length = size;
	return text;
}
