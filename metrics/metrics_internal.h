/*
 * metrics_internal.h: the label tables that the files of metrics/ share and
 * nobody else sees. Counting (metrics.c) and rendering (metrics_render.c)
 * read the same tables, so a slot and its label can never drift apart.
 */
#ifndef ICEGATE_METRICS_METRICS_INTERNAL_H
#define ICEGATE_METRICS_METRICS_INTERNAL_H

#include "metrics/metrics.h"

/* Known values; slot i of a counter array is entry i, and the array's last
 * slot (one past these) is "other". */
extern const int metrics_http_statuses[METRICS_HTTP_STATUS_SLOTS - 1];
extern const int metrics_websocket_close_codes[METRICS_WS_CLOSE_SLOTS - 1];
extern const char *const metrics_message_types[METRICS_MESSAGE_TYPE_SLOTS - 1];
extern const char *const metrics_error_codes[METRICS_ERROR_CODE_SLOTS - 1];

/* The method and result label of each enum metrics_auth_outcome. */
struct metrics_auth_label {
	const char *method;
	const char *result;
};
extern const struct metrics_auth_label metrics_auth_labels[METRICS_AUTH_OUTCOMES];
extern const char *const metrics_turn_endpoint_labels[METRICS_TURN_ENDPOINTS];
extern const char *const metrics_revocation_labels[METRICS_REVOCATIONS];

/* Bucket upper bounds in nanoseconds, and as the "le" label prints them. */
extern const uint64_t metrics_latency_bounds_ns[METRICS_LATENCY_BUCKETS];
extern const char *const metrics_latency_bound_labels[METRICS_LATENCY_BUCKETS];

#endif
