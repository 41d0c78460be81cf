/*
 * result.h: what one load-generator worker process measured, as plain data
 * written through a pipe to the parent, which merges the workers' results.
 */
#ifndef ICEGATE_BENCH_RESULT_H
#define ICEGATE_BENCH_RESULT_H

#include <stdint.h>

#include "bench/loadgen/histogram.h"

struct bench_result {
	uint64_t peers;                 /* connections this worker was asked to open */
	uint64_t authenticated;         /* of which got "authenticated" */
	uint64_t failed;                /* of which never got there */
	uint64_t joined;                /* of which joined their room (relay only) */
	uint64_t sent;                  /* relayed messages sent inside the window */
	uint64_t received;              /* relayed messages received inside the window */
	uint64_t received_total;        /* received over the whole run, warm-up included */
	uint64_t rate_limited;          /* "rate_limited" errors from the daemon */
	uint64_t errors;                /* any other error replies */
	uint64_t lost;                  /* connections that ended before the worker closed them */
	uint64_t behind;                /* paced sends skipped because the window was full */
	double window_seconds;          /* length of the measurement window */
	double cpu_seconds;             /* this worker's own CPU time inside the window */
	char error[320];                /* the first thing that went wrong; "" if nothing */
	struct bench_histogram latency; /* relay latency of messages received in the window */
};

void bench_result_init(struct bench_result *result);
/* Adds src's counts, CPU and samples to dst; keeps dst's error if it has one
 * and the longest window. */
void bench_result_merge(struct bench_result *dst, const struct bench_result *src);

/* Prints the closing "error=" (when !ok) and "status=" lines of a run.
 * Returns the process exit status: 0 if ok, else 1. */
int bench_result_print_status(int ok, const char *err);

#endif
