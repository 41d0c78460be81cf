/*
 * metrics.c: the label tables and the counting behind metrics.h. Values are
 * looked up in small fixed tables (a dozen entries, compared in order), which
 * costs less than the JSON parse that precedes every count.
 */
#include "metrics/metrics_internal.h"

#include <string.h>
#include <time.h>

const int metrics_http_statuses[METRICS_HTTP_STATUS_SLOTS - 1] = {
    101, 200, 204, 400, 401, 403, 404, 405, 408, 413, 426, 429, 431, 500, 501, 503, 505,
};

const int metrics_websocket_close_codes[METRICS_WS_CLOSE_SLOTS - 1] = {
    1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1011, 4401, 4403, 4409,
};

/* The client message types of docs/protocol.md. */
const char *const metrics_message_types[METRICS_MESSAGE_TYPE_SLOTS - 1] = {
    "auth", "ping", "join", "leave", "offer", "answer", "candidate", "chat",
};

/* The signaling error codes of docs/protocol.md, and server_error. */
const char *const metrics_error_codes[METRICS_ERROR_CODE_SLOTS - 1] = {
    "bad_request", "unauthorized", "forbidden",    "not_found",
    "room_full",   "rate_limited", "server_error",
};

const struct metrics_auth_label metrics_auth_labels[METRICS_AUTH_OUTCOMES] = {
    [METRICS_AUTH_LOGIN_OK] = {"login", "ok"},
    [METRICS_AUTH_LOGIN_BAD_CREDENTIALS] = {"login", "bad_credentials"},
    [METRICS_AUTH_LOGIN_DISABLED] = {"login", "disabled"},
    [METRICS_AUTH_LOGIN_RATE_LIMITED] = {"login", "rate_limited"},
    [METRICS_AUTH_LOGIN_INVALID_REQUEST] = {"login", "invalid_request"},
    [METRICS_AUTH_LOGIN_SERVER_ERROR] = {"login", "server_error"},
    [METRICS_AUTH_REFRESH_OK] = {"refresh", "ok"},
    [METRICS_AUTH_REFRESH_UNKNOWN] = {"refresh", "unknown"},
    [METRICS_AUTH_REFRESH_EXPIRED] = {"refresh", "expired"},
    [METRICS_AUTH_REFRESH_REUSED] = {"refresh", "reused"},
    [METRICS_AUTH_REFRESH_REVOKED] = {"refresh", "revoked"},
    [METRICS_AUTH_REFRESH_INVALID_REQUEST] = {"refresh", "invalid_request"},
    [METRICS_AUTH_REFRESH_SERVER_ERROR] = {"refresh", "server_error"},
    [METRICS_AUTH_GUEST_OK] = {"guest", "ok"},
    [METRICS_AUTH_GUEST_DISABLED] = {"guest", "disabled"},
    [METRICS_AUTH_GUEST_INVALID_REQUEST] = {"guest", "invalid_request"},
    [METRICS_AUTH_BEARER_OK] = {"bearer", "ok"},
    [METRICS_AUTH_BEARER_MISSING_TOKEN] = {"bearer", "missing_token"},
    [METRICS_AUTH_BEARER_INVALID_TOKEN] = {"bearer", "invalid_token"},
    [METRICS_AUTH_BEARER_DISABLED] = {"bearer", "disabled"},
    [METRICS_AUTH_BEARER_SERVER_ERROR] = {"bearer", "server_error"},
    [METRICS_AUTH_WEBSOCKET_OK] = {"websocket", "ok"},
    [METRICS_AUTH_WEBSOCKET_INVALID_TOKEN] = {"websocket", "invalid_token"},
    [METRICS_AUTH_WEBSOCKET_DISABLED] = {"websocket", "disabled"},
    [METRICS_AUTH_WEBSOCKET_SUBJECT_CHANGED] = {"websocket", "subject_changed"},
    [METRICS_AUTH_WEBSOCKET_TIMEOUT] = {"websocket", "timeout"},
    [METRICS_AUTH_WEBSOCKET_EXPIRED] = {"websocket", "expired"},
    [METRICS_AUTH_WEBSOCKET_SERVER_ERROR] = {"websocket", "server_error"},
};

const char *const metrics_turn_endpoint_labels[METRICS_TURN_ENDPOINTS] = {
    [METRICS_TURN_WEBSOCKET] = "websocket",
    [METRICS_TURN_ICE_SERVERS] = "ice_servers",
    [METRICS_TURN_REST_API] = "turn_rest_api",
};

const char *const metrics_revocation_labels[METRICS_REVOCATIONS] = {
    [METRICS_REVOCATION_USER_DISABLED] = "user_disabled",
    [METRICS_REVOCATION_USER_DELETED] = "user_deleted",
    [METRICS_REVOCATION_TURN_REVOKED] = "turn_revoked",
    [METRICS_REVOCATION_SECRET_ROTATED_NOW] = "secret_rotated_now",
};

const uint64_t metrics_latency_bounds_ns[METRICS_LATENCY_BUCKETS] = {
    50000,    100000,   250000,   500000,    1000000,   2500000,   5000000,
    10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
};

const char *const metrics_latency_bound_labels[METRICS_LATENCY_BUCKETS] = {
    "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
    "0.01",  "0.025",  "0.05",    "0.1",    "0.25",  "0.5",    "1",
};

void metrics_init(struct metrics *metrics)
{
	memset(metrics, 0, sizeof(*metrics));
}

static size_t number_slot(const int *known, size_t known_count, int value)
{
	for (size_t i = 0; i < known_count; i++)
		if (known[i] == value)
			return i;
	return known_count;
}

static size_t name_slot(const char *const *known, size_t known_count, const char *value)
{
	for (size_t i = 0; value && i < known_count; i++)
		if (strcmp(known[i], value) == 0)
			return i;
	return known_count;
}

void metrics_count_http_status(struct metrics *metrics, int status)
{
	metrics->http_responses[number_slot(metrics_http_statuses, METRICS_HTTP_STATUS_SLOTS - 1,
	                                    status)]++;
}

void metrics_count_websocket_close(struct metrics *metrics, int code)
{
	metrics->websocket_closes[number_slot(metrics_websocket_close_codes,
	                                      METRICS_WS_CLOSE_SLOTS - 1, code)]++;
}

void metrics_count_message_received(struct metrics *metrics, const char *type)
{
	metrics->messages_received[name_slot(metrics_message_types, METRICS_MESSAGE_TYPE_SLOTS - 1,
	                                     type)]++;
}

void metrics_count_message_relayed(struct metrics *metrics, const char *type)
{
	metrics->messages_relayed[name_slot(metrics_message_types, METRICS_MESSAGE_TYPE_SLOTS - 1,
	                                    type)]++;
}

void metrics_count_error_sent(struct metrics *metrics, const char *code)
{
	metrics->errors_sent[name_slot(metrics_error_codes, METRICS_ERROR_CODE_SLOTS - 1, code)]++;
}

void metrics_observe_relay_latency(struct metrics *metrics, int64_t elapsed_ns)
{
	uint64_t elapsed = elapsed_ns > 0 ? (uint64_t)elapsed_ns : 0;
	size_t slot = 0;
	while (slot < METRICS_LATENCY_BUCKETS && elapsed > metrics_latency_bounds_ns[slot])
		slot++;
	struct metrics_histogram *histogram = &metrics->relay_latency;
	histogram->buckets[slot]++;
	histogram->sum_ns += elapsed;
	histogram->count++;
}

int64_t metrics_now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}
