/*
 * worker_loop.h: the event loop every worker process runs, shared by the
 * relay and idle scenarios: one libevent base, the parent's control pipe
 * (a 'G' byte means go; end of file means the parent died and the worker
 * must quit), one deadline timer the scenario re-arms per phase, and the
 * reporting of readiness and results back to the parent.
 */
#ifndef ICEGATE_BENCH_WORKER_LOOP_H
#define ICEGATE_BENCH_WORKER_LOOP_H

#include "bench/loadgen/result.h"

struct event_base;
struct event;

struct bench_worker_loop {
	struct event_base *base;        /* owned */
	struct event *control_event;    /* owned: reads the parent's pipe */
	struct event *deadline;         /* owned: the current phase's deadline */
	int report_fd;                  /* owned: to the parent */
	int control_fd;                 /* owned: from the parent */
	int stopped;                    /* 1 once stop was asked: no dispatch needed */
	int exit_status;                /* the worker process's exit status */
	void (*on_go)(void *arg);       /* the parent said go */
	void (*on_deadline)(void *arg); /* the deadline passed */
	void *arg;                      /* borrowed: the scenario's worker */
};

/* Creates the base (with precise timers, for sub-millisecond pacing) and the
 * events; takes ownership of both descriptors. Returns 0 or -1. */
int bench_worker_loop_init(struct bench_worker_loop *loop, int report_fd, int control_fd,
                           void (*on_go)(void *arg), void (*on_deadline)(void *arg), void *arg);

/* (Re)arms the deadline seconds from now. */
void bench_worker_loop_set_deadline(struct bench_worker_loop *loop, double seconds);
void bench_worker_loop_clear_deadline(struct bench_worker_loop *loop);

/* Tells the parent: 'R' (ready) or 'F' (setup failed). A failed write marks
 * the worker failed and stops the loop. */
void bench_worker_loop_ready(struct bench_worker_loop *loop, char readiness);

/* Sends the result to the parent and stops the loop. */
void bench_worker_loop_finish(struct bench_worker_loop *loop, const struct bench_result *result);

/* Setup failed before the loop ran: reports 'F' and result (with a
 * generic error if it has none) and stops. */
void bench_worker_loop_abort(struct bench_worker_loop *loop, struct bench_result *result);

/* Runs until stopped, unless it already was (setup can fail before this). */
void bench_worker_loop_run(struct bench_worker_loop *loop);

/* Frees the events and the base and closes the descriptors. */
void bench_worker_loop_free(struct bench_worker_loop *loop);

#endif
