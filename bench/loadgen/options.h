/*
 * options.h: the load generator's settings, parsed once from the command
 * line (main.c) and handed read-only to the scenarios and their workers.
 */
#ifndef ICEGATE_BENCH_OPTIONS_H
#define ICEGATE_BENCH_OPTIONS_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

#include "bench/loadgen/peer.h"
#include "bench/loadgen/protocol.h"

enum bench_scenario { BENCH_SCENARIO_RELAY, BENCH_SCENARIO_IDLE };

struct bench_options {
	enum bench_scenario scenario;
	struct sockaddr_in server;             /* the daemon; a 127.0.0.0/8 address */
	char host[64];                         /* Host header: "127.0.0.1:8080" */
	const struct bench_protocol *protocol; /* the server's protocol (--protocol) */
	char path[4096];      /* shared part of the upgrade path; may hold a token: never print */
	unsigned sources;     /* loopback source addresses to spread over */
	size_t concurrency;   /* connections in setup at once, per worker */
	size_t processes;     /* worker processes */
	pid_t daemon_pid;     /* for RSS and CPU; 0 = not measured */
	double setup_timeout; /* seconds for every connection to be ready */

	/* relay */
	size_t pairs;    /* peer pairs, each pair in its own room */
	unsigned window; /* relayed messages in flight per sender */
	double warmup;   /* seconds of load before the window opens */
	double duration; /* seconds of the measurement window */
	double rate;     /* total messages/s to offer; 0 = as fast as possible */
	enum bench_relay_kind kind;

	/* idle */
	size_t connections; /* idle authenticated connections to hold */
	double settle;      /* seconds to wait before reading the RSS */
};

/* Relay worker: pairs are split between workers; see relay_worker.c. */
int bench_relay_worker(size_t index, size_t count, int report_fd, int control_fd,
                       const void *options);
/* Idle worker: connections are split between workers; see idle_worker.c. */
int bench_idle_worker(size_t index, size_t count, int report_fd, int control_fd,
                      const void *options);

/* Run a whole scenario from the parent process and print key=value results
 * on standard output. Return 0 if the run was clean, 1 if anything failed. */
int bench_relay_run(const struct bench_options *options);
int bench_idle_run(const struct bench_options *options);

#endif
