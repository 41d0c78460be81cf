/*
 * workers.c: forking, synchronising and reaping worker processes (see
 * workers.h). Every wait is bounded so the generator always stops by itself.
 */
#include "bench/loadgen/workers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const void *data, size_t length)
{
	const char *p = data;
	while (length > 0) {
		ssize_t n = write(fd, p, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		length -= (size_t)n;
	}
	return 0;
}

/* Reads exactly length bytes before the deadline. Returns 0, or -1 on
 * timeout, end of file or error. */
static int read_all(int fd, void *data, size_t length, long long deadline_ms)
{
	char *p = data;
	while (length > 0) {
		long long left = deadline_ms - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ready = poll(&pfd, 1, (int)left);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return -1;
		ssize_t n = read(fd, p, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		length -= (size_t)n;
	}
	return 0;
}

int bench_worker_report_ready(int report_fd, char readiness)
{
	return write_all(report_fd, &readiness, 1);
}

int bench_worker_report_result(int report_fd, const struct bench_result *result)
{
	return write_all(report_fd, result, sizeof(*result));
}

int bench_workers_start(struct bench_workers *set, size_t count, bench_worker_main body,
                        const void *arg, char *err, size_t err_size)
{
	set->count = 0;
	set->workers = calloc(count, sizeof(*set->workers));
	if (set->workers == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	for (size_t i = 0; i < count; i++) {
		int report[2], control[2];
		if (pipe2(report, O_CLOEXEC) != 0) {
			snprintf(err, err_size, "pipe: %s", strerror(errno));
			return -1;
		}
		if (pipe2(control, O_CLOEXEC) != 0) {
			snprintf(err, err_size, "pipe: %s", strerror(errno));
			close(report[0]);
			close(report[1]);
			return -1;
		}
		pid_t pid = fork();
		if (pid < 0) {
			snprintf(err, err_size, "fork: %s", strerror(errno));
			close(report[0]);
			close(report[1]);
			close(control[0]);
			close(control[1]);
			return -1;
		}
		if (pid == 0) {
			close(report[0]);
			close(control[1]);
			/* Earlier workers' pipe ends must not keep them alive. */
			for (size_t j = 0; j < i; j++) {
				close(set->workers[j].report_fd);
				close(set->workers[j].control_fd);
			}
			int status = body(i, count, report[1], control[0], arg);
			/* exit, not _exit: stdio was flushed before the fork, and the
			 * exit handlers include the leak checker of sanitizer builds. */
			exit(status);
		}
		close(report[1]);
		close(control[0]);
		struct bench_worker *worker = &set->workers[i];
		worker->pid = pid;
		worker->report_fd = report[0];
		worker->control_fd = control[1];
		set->count++;
	}
	return 0;
}

int bench_workers_wait_ready(struct bench_workers *set, int timeout_ms, char *err, size_t err_size)
{
	long long deadline = now_ms() + timeout_ms;
	int failed = 0;
	for (size_t i = 0; i < set->count; i++) {
		struct bench_worker *worker = &set->workers[i];
		char byte;
		if (read_all(worker->report_fd, &byte, 1, deadline) != 0) {
			snprintf(err, err_size, "worker %zu did not finish its setup in time", i);
			return -1;
		}
		worker->readiness = byte;
		if (byte != 'R')
			failed++;
	}
	return failed;
}

int bench_workers_launch(struct bench_workers *set, size_t count, bench_worker_main body,
                         const void *arg, int ready_timeout_ms, char *err, size_t err_size)
{
	if (bench_workers_start(set, count, body, arg, err, err_size) != 0)
		return -1;
	return bench_workers_wait_ready(set, ready_timeout_ms, err, err_size);
}

int bench_workers_go(struct bench_workers *set)
{
	/* A closed pipe must show up as an error here, not kill the parent. */
	signal(SIGPIPE, SIG_IGN);
	int rv = 0;
	for (size_t i = 0; i < set->count; i++)
		if (write_all(set->workers[i].control_fd, "G", 1) != 0)
			rv = -1;
	return rv;
}

static void reap(struct bench_worker *worker, int options)
{
	if (worker->pid == 0)
		return;
	int status;
	pid_t done = wait4(worker->pid, &status, options, &worker->usage);
	if (done == worker->pid) {
		worker->exit_status = status;
		worker->pid = 0;
	}
}

int bench_workers_collect(struct bench_workers *set, struct bench_result *results, int timeout_ms,
                          char *err, size_t err_size)
{
	long long deadline = now_ms() + timeout_ms;
	int rv = 0;
	for (size_t i = 0; i < set->count; i++) {
		bench_result_init(&results[i]);
		if (read_all(set->workers[i].report_fd, &results[i], sizeof(results[i]),
		             deadline) != 0) {
			snprintf(err, err_size, "worker %zu sent no result", i);
			bench_result_init(&results[i]);
			rv = -1;
		}
	}
	for (size_t i = 0; i < set->count; i++) {
		/* The result is the worker's last act; give it a moment to exit. */
		while (set->workers[i].pid != 0 && now_ms() < deadline + 2000) {
			reap(&set->workers[i], WNOHANG);
			if (set->workers[i].pid != 0)
				usleep(1000);
		}
	}
	return rv;
}

int bench_workers_all_succeeded(const struct bench_workers *set)
{
	for (size_t i = 0; i < set->count; i++) {
		const struct bench_worker *worker = &set->workers[i];
		if (worker->pid != 0 || !WIFEXITED(worker->exit_status) ||
		    WEXITSTATUS(worker->exit_status) != 0)
			return 0;
	}
	return 1;
}

void bench_workers_free(struct bench_workers *set)
{
	for (size_t i = 0; i < set->count; i++) {
		struct bench_worker *worker = &set->workers[i];
		if (worker->pid != 0) {
			kill(worker->pid, SIGKILL);
			reap(worker, 0);
		}
		if (worker->report_fd >= 0)
			close(worker->report_fd);
		if (worker->control_fd >= 0)
			close(worker->control_fd);
	}
	free(set->workers);
	set->workers = NULL;
	set->count = 0;
}

size_t bench_share(size_t total, size_t index, size_t count)
{
	return total / count + (index < total % count ? 1 : 0);
}

void bench_sleep_seconds(double seconds)
{
	if (seconds <= 0)
		return;
	struct timespec left = {
	    .tv_sec = (time_t)seconds,
	    .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};
	while (nanosleep(&left, &left) != 0 && errno == EINTR)
		;
}
