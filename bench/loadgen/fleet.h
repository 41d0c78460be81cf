/*
 * fleet.h: many benchmark peers opened against one daemon, a bounded number
 * at a time, spread over several loopback source addresses.
 *
 * Opening ten thousand connections at once would overflow the daemon's listen
 * backlog and turn the setup into a test of SYN retransmission timers, so the
 * fleet keeps at most `concurrency` connections between connect() and
 * "authenticated". Scenarios see their peers' events through the fleet.
 *
 * Peers 2k and 2k+1 share the room "bench-PID-k"; each peer is named
 * "bPID-INDEX" (the id it asks for where the client chooses it). Where the
 * protocol needs keepalives, the fleet sends one to every accepted peer at
 * the protocol's interval.
 */
#ifndef ICEGATE_BENCH_FLEET_H
#define ICEGATE_BENCH_FLEET_H

#include <stddef.h>

#include "bench/loadgen/options.h"
#include "bench/loadgen/peer.h"

struct event;
struct event_base;

struct bench_fleet {
	struct event_base *base;  /* borrowed */
	struct bench_peer *peers; /* owned; count entries */
	size_t count;
	struct bench_ws_target *targets; /* owned; one per source address */
	unsigned target_count;
	size_t next;    /* next peer to connect; == count when all started */
	size_t pending; /* started, neither authenticated nor ended yet */
	size_t concurrency;
	size_t authenticated;                   /* peers that got "authenticated" (ever) */
	size_t failed;                          /* peers that ended before "authenticated" */
	size_t ended;                           /* peers whose connection is over */
	char first_error[192];                  /* why the first failed peer failed; "" if none */
	const struct bench_peer_events *events; /* borrowed: the scenario's */
	void *owner;                            /* borrowed: the scenario's context */
	struct event *keepalive_timer;          /* owned; NULL if the protocol needs none */
};

/* Allocates count peers and starts connecting them to options' server from
 * its source addresses, options->concurrency at a time. options, events and
 * owner are borrowed; events and owner receive every peer's events. Returns
 * 0, or -1 with err filled (nothing left to free). */
int bench_fleet_open(struct bench_fleet *fleet, struct event_base *base,
                     const struct bench_options *options, size_t count,
                     const struct bench_peer_events *events, void *owner, char *err,
                     size_t err_size);

/* 1 once every peer has either authenticated or failed. */
int bench_fleet_settled(const struct bench_fleet *fleet);

/* Starts a normal close on every live peer. */
void bench_fleet_close_all(struct bench_fleet *fleet);

/* Releases every connection and the arrays. */
void bench_fleet_free(struct bench_fleet *fleet);

/* The scenario context of a peer opened by a fleet. */
void *bench_fleet_owner_of(const struct bench_peer *peer);

#endif
