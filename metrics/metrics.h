/*
 * metrics.h: the daemon's counters and the Prometheus text it is scraped as.
 *
 * struct metrics is a plain block of counters owned by struct server and
 * touched by the event loop thread only, so nothing here locks. Every label a
 * counter carries comes from a fixed table below: a status code, close code,
 * message type or error code that is not in its table is counted as "other",
 * so a client can never grow the number of series, and no label ever holds a
 * user name or an address. Gauges (connections, rooms, process memory) are not
 * kept here: the caller reads them at scrape time into struct metrics_gauges
 * and hands them to metrics_render with the counters.
 */
#ifndef ICEGATE_METRICS_METRICS_H
#define ICEGATE_METRICS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Label tables; the last slot of each counts everything not listed. */
#define METRICS_HTTP_STATUS_SLOTS  18 /* 101 .. 505, then "other" */
#define METRICS_WS_CLOSE_SLOTS     14 /* 1000 .. 4409, then "other" */
#define METRICS_MESSAGE_TYPE_SLOTS 9  /* auth .. chat, then "other" */
#define METRICS_ERROR_CODE_SLOTS   8  /* bad_request .. server_error, then "other" */

/* One authentication outcome: a method and its result. */
enum metrics_auth_outcome {
	METRICS_AUTH_LOGIN_OK,
	METRICS_AUTH_LOGIN_BAD_CREDENTIALS,
	METRICS_AUTH_LOGIN_DISABLED,
	METRICS_AUTH_LOGIN_RATE_LIMITED,
	METRICS_AUTH_LOGIN_INVALID_REQUEST,
	METRICS_AUTH_LOGIN_SERVER_ERROR,
	METRICS_AUTH_REFRESH_OK,
	METRICS_AUTH_REFRESH_UNKNOWN,
	METRICS_AUTH_REFRESH_EXPIRED,
	METRICS_AUTH_REFRESH_REUSED,
	METRICS_AUTH_REFRESH_REVOKED,
	METRICS_AUTH_REFRESH_INVALID_REQUEST,
	METRICS_AUTH_REFRESH_SERVER_ERROR,
	METRICS_AUTH_GUEST_OK,
	METRICS_AUTH_GUEST_DISABLED,
	METRICS_AUTH_GUEST_INVALID_REQUEST,
	METRICS_AUTH_BEARER_OK, /* REST routes that take an access token */
	METRICS_AUTH_BEARER_MISSING_TOKEN,
	METRICS_AUTH_BEARER_INVALID_TOKEN,
	METRICS_AUTH_BEARER_DISABLED,
	METRICS_AUTH_BEARER_SERVER_ERROR,
	METRICS_AUTH_WEBSOCKET_OK, /* first authentication or renewal of a session */
	METRICS_AUTH_WEBSOCKET_INVALID_TOKEN,
	METRICS_AUTH_WEBSOCKET_DISABLED,
	METRICS_AUTH_WEBSOCKET_SUBJECT_CHANGED,
	METRICS_AUTH_WEBSOCKET_TIMEOUT, /* no token within auth_timeout */
	METRICS_AUTH_WEBSOCKET_EXPIRED, /* the token ran out without renewal */
	METRICS_AUTH_WEBSOCKET_SERVER_ERROR,
	METRICS_AUTH_OUTCOMES
};

/* Where a TURN credential was handed out. */
enum metrics_turn_endpoint {
	METRICS_TURN_WEBSOCKET,   /* joined, relayed offer/answer, ice-servers push */
	METRICS_TURN_ICE_SERVERS, /* GET /api/v1/ice-servers */
	METRICS_TURN_REST_API,    /* GET /api/v1/turn/credentials */
	METRICS_TURN_ENDPOINTS
};

/* An icegatectl change the daemon applied to live sessions. */
enum metrics_revocation {
	METRICS_REVOCATION_USER_DISABLED,
	METRICS_REVOCATION_USER_DELETED,
	METRICS_REVOCATION_TURN_REVOKED,
	METRICS_REVOCATION_SECRET_ROTATED_NOW, /* secret rotate --now: old tokens end */
	METRICS_REVOCATIONS
};

/* Relay latency buckets, upper bounds inclusive (Prometheus "le"), 50 us to
 * 1 s; one more slot counts what is slower than the last bound. */
#define METRICS_LATENCY_BUCKETS 14

struct metrics_histogram {
	uint64_t buckets[METRICS_LATENCY_BUCKETS + 1]; /* per bucket, not cumulative;
	                                                * the last is above 1 s */
	uint64_t sum_ns;                               /* of every observation */
	uint64_t count;                                /* observations */
};

struct metrics {
	uint64_t http_responses[METRICS_HTTP_STATUS_SLOTS];     /* by status code */
	uint64_t websocket_closes[METRICS_WS_CLOSE_SLOTS];      /* by close code */
	uint64_t messages_received[METRICS_MESSAGE_TYPE_SLOTS]; /* by client type */
	uint64_t messages_relayed[METRICS_MESSAGE_TYPE_SLOTS];  /* one per recipient */
	uint64_t errors_sent[METRICS_ERROR_CODE_SLOTS];         /* signaling "error" */
	uint64_t auth[METRICS_AUTH_OUTCOMES];                   /* by outcome */
	uint64_t turn_credentials[METRICS_TURN_ENDPOINTS];      /* by endpoint */
	uint64_t revocations[METRICS_REVOCATIONS];              /* by kind */
	struct metrics_histogram relay_latency;                 /* read to queued */
};

/* What the process looks like from /proc and getrlimit. */
struct metrics_process {
	uint64_t resident_bytes;
	uint64_t virtual_bytes;
	uint64_t open_fds;
	uint64_t max_fds;   /* the soft RLIMIT_NOFILE */
	double cpu_seconds; /* user + system */
};

/* Values read at scrape time by the caller. */
struct metrics_gauges {
	const char *version;        /* borrowed; the build_info label */
	int64_t start_time_seconds; /* unix time the server started */
	int64_t uptime_seconds;
	uint64_t signaling_connections;  /* open on the public port */
	uint64_t metrics_connections;    /* open on metrics_listen */
	uint64_t websocket_sessions;     /* upgraded connections */
	uint64_t authenticated_sessions; /* of those, authenticated */
	uint64_t rooms;
	uint64_t room_peers; /* members over every room */
	int process_known;   /* process below was read */
	struct metrics_process process;
};

/* Zeroes every counter. */
void metrics_init(struct metrics *metrics);

/* Counting by a value from outside: unknown values land in "other". */
void metrics_count_http_status(struct metrics *metrics, int status);
void metrics_count_websocket_close(struct metrics *metrics, int code);
void metrics_count_message_received(struct metrics *metrics, const char *type);
void metrics_count_message_relayed(struct metrics *metrics, const char *type);
void metrics_count_error_sent(struct metrics *metrics, const char *code);

static inline void metrics_count_auth(struct metrics *metrics, enum metrics_auth_outcome outcome)
{
	if ((unsigned)outcome < METRICS_AUTH_OUTCOMES)
		metrics->auth[outcome]++;
}

static inline void metrics_count_turn_credential(struct metrics *metrics,
                                                 enum metrics_turn_endpoint endpoint)
{
	if ((unsigned)endpoint < METRICS_TURN_ENDPOINTS)
		metrics->turn_credentials[endpoint]++;
}

static inline void metrics_count_revocation(struct metrics *metrics, enum metrics_revocation kind)
{
	if ((unsigned)kind < METRICS_REVOCATIONS)
		metrics->revocations[kind]++;
}

/* Records one relayed message that took elapsed_ns from the read of its
 * frame to its queueing for the recipient. Negative values count as 0. */
void metrics_observe_relay_latency(struct metrics *metrics, int64_t elapsed_ns);

/* CLOCK_MONOTONIC in nanoseconds: the clock relay latency is measured on. */
int64_t metrics_now_ns(void);

/* Reads this process's memory, descriptors and CPU time. Returns 0, or -1
 * when /proc/self is unreadable (out is then zeroed). */
int metrics_process_read(struct metrics_process *out);

/* Renders counters and gauges in the Prometheus text exposition format
 * 0.0.4. Returns the text (malloc'd, NUL-terminated, caller frees) with its
 * length in *length, or NULL when memory ran out. */
char *metrics_render(const struct metrics *metrics, const struct metrics_gauges *gauges,
                     size_t *length);

#endif
