/*
 * worker_loop.c: the event loop shared by worker processes (see
 * worker_loop.h).
 *
 * Stopping is remembered in a flag as well as by event_base_loopbreak,
 * because libevent forgets a break requested before the loop starts, and
 * a worker's setup can fail before its loop ever runs.
 */
#include "bench/loadgen/worker_loop.h"

#include "bench/loadgen/workers.h"

#include <event2/event.h>
#include <stdio.h>
#include <unistd.h>

static void stop(struct bench_worker_loop *loop)
{
	loop->stopped = 1;
	if (loop->base != NULL)
		event_base_loopbreak(loop->base);
}

static void control_ready(evutil_socket_t fd, short what, void *arg)
{
	struct bench_worker_loop *loop = arg;
	char byte;
	ssize_t n = read(fd, &byte, 1);
	if (n == 1 && byte == 'G') {
		loop->on_go(loop->arg);
		return;
	}
	if (n <= 0) { /* the parent is gone: nobody will read a result */
		loop->exit_status = 1;
		event_del(loop->control_event);
		stop(loop);
	}
}

static void deadline_passed(evutil_socket_t fd, short what, void *arg)
{
	struct bench_worker_loop *loop = arg;
	loop->on_deadline(loop->arg);
}

int bench_worker_loop_init(struct bench_worker_loop *loop, int report_fd, int control_fd,
                           void (*on_go)(void *arg), void (*on_deadline)(void *arg), void *arg)
{
	*loop = (struct bench_worker_loop){
	    .report_fd = report_fd,
	    .control_fd = control_fd,
	    .on_go = on_go,
	    .on_deadline = on_deadline,
	    .arg = arg,
	};
	/* Pacing needs timers finer than epoll's millisecond timeouts: the
	 * precise-timer flag makes libevent use a timerfd. */
	struct event_config *config = event_config_new();
	if (config == NULL)
		return -1;
	if (event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER) == 0)
		loop->base = event_base_new_with_config(config);
	event_config_free(config);
	if (loop->base == NULL)
		return -1;
	loop->deadline = evtimer_new(loop->base, deadline_passed, loop);
	loop->control_event =
	    event_new(loop->base, control_fd, EV_READ | EV_PERSIST, control_ready, loop);
	if (loop->deadline == NULL || loop->control_event == NULL ||
	    event_add(loop->control_event, NULL) != 0)
		return -1;
	return 0;
}

void bench_worker_loop_set_deadline(struct bench_worker_loop *loop, double seconds)
{
	struct timeval tv = {
	    .tv_sec = (time_t)seconds,
	    .tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6),
	};
	evtimer_add(loop->deadline, &tv);
}

void bench_worker_loop_clear_deadline(struct bench_worker_loop *loop)
{
	evtimer_del(loop->deadline);
}

void bench_worker_loop_ready(struct bench_worker_loop *loop, char readiness)
{
	if (readiness != 'R')
		loop->exit_status = 1;
	if (bench_worker_report_ready(loop->report_fd, readiness) != 0) {
		loop->exit_status = 1;
		stop(loop);
	}
}

void bench_worker_loop_finish(struct bench_worker_loop *loop, const struct bench_result *result)
{
	if (bench_worker_report_result(loop->report_fd, result) != 0)
		loop->exit_status = 1;
	stop(loop);
}

void bench_worker_loop_abort(struct bench_worker_loop *loop, struct bench_result *result)
{
	if (result->error[0] == '\0')
		snprintf(result->error, sizeof(result->error), "worker setup failed");
	bench_worker_loop_ready(loop, 'F');
	bench_worker_loop_finish(loop, result);
}

void bench_worker_loop_run(struct bench_worker_loop *loop)
{
	if (!loop->stopped)
		event_base_dispatch(loop->base);
}

void bench_worker_loop_free(struct bench_worker_loop *loop)
{
	if (loop->deadline != NULL)
		event_free(loop->deadline);
	if (loop->control_event != NULL)
		event_free(loop->control_event);
	if (loop->base != NULL)
		event_base_free(loop->base);
	close(loop->report_fd);
	close(loop->control_fd);
	*loop = (struct bench_worker_loop){.report_fd = -1, .control_fd = -1};
}
