/*
 * fleet.c: paced connection setup for many peers (see fleet.h).
 *
 * The fleet sits between each peer and the scenario: it counts setup
 * progress, starts the next connection whenever one settles, and forwards
 * every event unchanged.
 */
#include "bench/loadgen/fleet.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void connect_more(struct bench_fleet *fleet);

static void fleet_on_state(struct bench_peer *peer)
{
	struct bench_fleet *fleet = peer->owner;
	if (peer->state == BENCH_PEER_AUTHENTICATED) {
		fleet->pending--;
		fleet->authenticated++;
	} else if (peer->state == BENCH_PEER_ENDED) {
		fleet->ended++;
		if (peer->id[0] == '\0') { /* ended before it was authenticated */
			fleet->pending--;
			fleet->failed++;
			if (fleet->first_error[0] == '\0')
				snprintf(fleet->first_error, sizeof(fleet->first_error),
				         "connection %zu: %s (close code %d)", peer->index,
				         peer->end_reason, peer->close_code);
		}
	}
	/* The scenario may move the peer on (a join) before this returns. */
	int settled = peer->state == BENCH_PEER_AUTHENTICATED || peer->state == BENCH_PEER_ENDED;
	fleet->events->on_state(peer);
	if (settled)
		connect_more(fleet);
}

static void fleet_on_relayed(struct bench_peer *peer, uint64_t sent_ns)
{
	struct bench_fleet *fleet = peer->owner;
	fleet->events->on_relayed(peer, sent_ns);
}

static void fleet_on_error(struct bench_peer *peer, const char *code)
{
	struct bench_fleet *fleet = peer->owner;
	fleet->events->on_error(peer, code);
}

static const struct bench_peer_events fleet_peer_events = {
    .on_state = fleet_on_state,
    .on_relayed = fleet_on_relayed,
    .on_error = fleet_on_error,
};

static void connect_more(struct bench_fleet *fleet)
{
	while (fleet->pending < fleet->concurrency && fleet->next < fleet->count) {
		struct bench_peer *peer = &fleet->peers[fleet->next];
		const struct bench_ws_target *target =
		    &fleet->targets[fleet->next % fleet->target_count];
		fleet->next++;
		char err[128];
		if (bench_peer_connect(peer, fleet->base, target, err, sizeof(err)) != 0) {
			peer->state = BENCH_PEER_ENDED;
			fleet->failed++;
			fleet->ended++;
			if (fleet->first_error[0] == '\0')
				snprintf(fleet->first_error, sizeof(fleet->first_error),
				         "connection %zu: %s", peer->index, err);
			snprintf(peer->end_reason, sizeof(peer->end_reason), "%s", err);
			fleet->events->on_state(peer);
			continue;
		}
		fleet->pending++;
	}
}

static void keepalive_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct bench_fleet *fleet = arg;
	for (size_t i = 0; i < fleet->next; i++)
		bench_peer_keepalive(&fleet->peers[i]); /* a failure shows as the peer's end */
}

static int start_keepalive(struct bench_fleet *fleet, const struct bench_protocol *protocol)
{
	if (protocol->keepalive == NULL || protocol->keepalive_seconds <= 0)
		return 0;
	fleet->keepalive_timer = event_new(fleet->base, -1, EV_PERSIST, keepalive_tick, fleet);
	if (fleet->keepalive_timer == NULL)
		return -1;
	time_t whole = (time_t)protocol->keepalive_seconds;
	struct timeval interval = {
	    .tv_sec = whole,
	    .tv_usec = (suseconds_t)((protocol->keepalive_seconds - (double)whole) * 1e6),
	};
	return evtimer_add(fleet->keepalive_timer, &interval);
}

int bench_fleet_open(struct bench_fleet *fleet, struct event_base *base,
                     const struct bench_options *options, size_t count,
                     const struct bench_peer_events *events, void *owner, char *err,
                     size_t err_size)
{
	memset(fleet, 0, sizeof(*fleet));
	if (count == 0 || options->sources == 0 || options->sources > 250 ||
	    options->concurrency == 0) {
		snprintf(err, err_size,
		         "fleet: count, sources (1..250) and concurrency must be set");
		return -1;
	}
	fleet->base = base;
	fleet->count = count;
	fleet->concurrency = options->concurrency;
	fleet->events = events;
	fleet->owner = owner;
	fleet->target_count = options->sources;
	fleet->peers = calloc(count, sizeof(*fleet->peers));
	fleet->targets = calloc(options->sources, sizeof(*fleet->targets));
	if (fleet->peers == NULL || fleet->targets == NULL) {
		free(fleet->peers);
		free(fleet->targets);
		snprintf(err, err_size, "fleet: out of memory for %zu peers", count);
		return -1;
	}
	for (unsigned i = 0; i < options->sources; i++) {
		struct bench_ws_target *target = &fleet->targets[i];
		target->server = options->server;
		target->source.sin_family = AF_INET;
		target->source.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + i); /* 127.0.0.2.. */
		target->source.sin_port = 0;
		target->host = options->host;
		target->path = options->path;
	}
	int pid = (int)getpid();
	for (size_t i = 0; i < count; i++) {
		struct bench_peer *peer = &fleet->peers[i];
		peer->index = i;
		peer->owner = fleet;
		peer->events = &fleet_peer_events;
		peer->protocol = options->protocol;
		snprintf(peer->name, sizeof(peer->name), "b%d-%zu", pid, i);
		snprintf(peer->room, sizeof(peer->room), "bench-%d-%zu", pid, i / 2);
	}
	if (start_keepalive(fleet, options->protocol) != 0) {
		bench_fleet_free(fleet);
		snprintf(err, err_size, "fleet: cannot start the keepalive timer");
		return -1;
	}
	connect_more(fleet);
	return 0;
}

int bench_fleet_settled(const struct bench_fleet *fleet)
{
	return fleet->authenticated + fleet->failed >= fleet->count;
}

void bench_fleet_close_all(struct bench_fleet *fleet)
{
	/* Peers not started yet never will: count them as failed so that the
	 * setup figures stay honest when a scenario gives up early. */
	fleet->failed += fleet->count - fleet->next;
	fleet->next = fleet->count;
	for (size_t i = 0; i < fleet->count; i++)
		bench_peer_close(&fleet->peers[i]);
}

void bench_fleet_free(struct bench_fleet *fleet)
{
	if (fleet->peers != NULL)
		for (size_t i = 0; i < fleet->count; i++)
			bench_peer_release(&fleet->peers[i]);
	if (fleet->keepalive_timer != NULL)
		event_free(fleet->keepalive_timer);
	fleet->keepalive_timer = NULL;
	free(fleet->peers);
	free(fleet->targets);
	fleet->peers = NULL;
	fleet->targets = NULL;
}

void *bench_fleet_owner_of(const struct bench_peer *peer)
{
	const struct bench_fleet *fleet = peer->owner;
	return fleet->owner;
}
