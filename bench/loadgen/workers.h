/*
 * workers.h: the load generator's worker processes.
 *
 * Each worker is a forked process with its own single-threaded event loop,
 * so the relay scenario can use more than one core on the generator side and
 * the generator does not become the bottleneck it is supposed to measure.
 * Parent and worker talk over two pipes with a tiny protocol:
 *
 *   worker -> parent: one byte, 'R' (set up, waiting) or 'F' (setup failed),
 *                     later a struct bench_result;
 *   parent -> worker: one byte 'G' (start, or for the idle scenario: stop);
 *                     end of file means the parent died, so the worker quits.
 *
 * Workers' rusage is collected when they are reaped.
 */
#ifndef ICEGATE_BENCH_WORKERS_H
#define ICEGATE_BENCH_WORKERS_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "bench/loadgen/result.h"

/* Body of a worker process. report_fd and control_fd are the worker's ends
 * of the pipes. Returns the process exit status. */
typedef int (*bench_worker_main)(size_t index, size_t count, int report_fd, int control_fd,
                                 const void *arg);

struct bench_worker {
	pid_t pid;       /* 0 once reaped */
	int report_fd;   /* read end, worker -> parent; -1 when closed */
	int control_fd;  /* write end, parent -> worker; -1 when closed */
	char readiness;  /* 'R', 'F', or 0 while unknown */
	int exit_status; /* from waitpid, once reaped */
	struct rusage usage;
};

struct bench_workers {
	struct bench_worker *workers; /* owned; count entries */
	size_t count;
};

/* Forks count workers running body(i, count, ..., arg). Returns 0 or -1 with err. */
int bench_workers_start(struct bench_workers *set, size_t count, bench_worker_main body,
                        const void *arg, char *err, size_t err_size);

/* Starts the workers and waits for their readiness: start, then wait_ready.
 * Returns what wait_ready returns, or -1 with err if they could not start. */
int bench_workers_launch(struct bench_workers *set, size_t count, bench_worker_main body,
                         const void *arg, int ready_timeout_ms, char *err, size_t err_size);

/* Waits up to timeout_ms for every worker's readiness byte. Returns the
 * number of workers that reported 'F' or died, or -1 on timeout with err. */
int bench_workers_wait_ready(struct bench_workers *set, int timeout_ms, char *err, size_t err_size);

/* Sends 'G' to every worker. Returns 0 or -1. */
int bench_workers_go(struct bench_workers *set);

/* Reads each worker's result into results[i] (count entries), then reaps the
 * workers. Returns 0, or -1 with err if a result is missing. */
int bench_workers_collect(struct bench_workers *set, struct bench_result *results, int timeout_ms,
                          char *err, size_t err_size);

/* 1 if every worker has been reaped after exiting with status 0. */
int bench_workers_all_succeeded(const struct bench_workers *set);

/* Kills (SIGKILL) and reaps any worker still running, closes the pipes and
 * frees the set. Safe after collect. */
void bench_workers_free(struct bench_workers *set);

/* Worker side: report readiness ('R' or 'F'), and the result. Return 0 or -1. */
int bench_worker_report_ready(int report_fd, char readiness);
int bench_worker_report_result(int report_fd, const struct bench_result *result);

/* Worker index's share of total items split over count workers; shares
 * differ by at most one. */
size_t bench_share(size_t total, size_t index, size_t count);

/* Sleeps for seconds, resuming after signals. */
void bench_sleep_seconds(double seconds);

#endif
