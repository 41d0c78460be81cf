/*
 * peer.c: the signaling side of a benchmark client (see peer.h). What is
 * said on the wire comes from the peer's protocol (protocol_*.c); this file
 * only moves the peer through its states and reports to its owner.
 */
#include "bench/loadgen/peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_state(struct bench_peer *peer, enum bench_peer_state state)
{
	peer->state = state;
	peer->events->on_state(peer);
}

static void ws_open(void *arg)
{
	(void)arg; /* every protocol says by message when the peer is accepted */
}

static void ws_text(void *arg, const char *data, size_t length)
{
	struct bench_peer *peer = arg;
	char value[128] = "";
	uint64_t sent_ns = 0;
	switch (
	    peer->protocol->classify(data, length, peer->name, value, sizeof(value), &sent_ns)) {
	case BENCH_ARRIVAL_RELAYED:
		peer->events->on_relayed(peer, sent_ns);
		break;
	case BENCH_ARRIVAL_READY:
		if (peer->state == BENCH_PEER_CONNECTING && value[0] != '\0' &&
		    strlen(value) < sizeof(peer->id)) {
			strcpy(peer->id, value);
			set_state(peer, BENCH_PEER_AUTHENTICATED);
		}
		break;
	case BENCH_ARRIVAL_JOINED:
		if (peer->state == BENCH_PEER_JOINING)
			set_state(peer, BENCH_PEER_JOINED);
		break;
	case BENCH_ARRIVAL_ERROR:
		peer->events->on_error(peer, value);
		break;
	case BENCH_ARRIVAL_OTHER:
		break; /* not ours to judge: the servers' own tests do that */
	}
}

static void ws_end(void *arg, int close_code, const char *reason)
{
	struct bench_peer *peer = arg;
	peer->close_code = close_code;
	snprintf(peer->end_reason, sizeof(peer->end_reason), "%s", reason);
	set_state(peer, BENCH_PEER_ENDED);
}

static const struct bench_ws_callbacks peer_ws_callbacks = {
    .on_open = ws_open,
    .on_text = ws_text,
    .on_end = ws_end,
};

int bench_peer_connect(struct bench_peer *peer, struct event_base *base,
                       const struct bench_ws_target *target, char *err, size_t err_size)
{
	if (peer->protocol->peer_path(peer->path_suffix, sizeof(peer->path_suffix), peer->name,
	                              peer->room) != 0) {
		snprintf(err, err_size, "peer name or room too long for the URL");
		return -1;
	}
	peer->target = *target;
	peer->target.path_suffix = peer->path_suffix;
	peer->ws = bench_ws_connect(base, &peer->target, &peer_ws_callbacks, peer, err, err_size);
	if (peer->ws == NULL)
		return -1;
	peer->state = BENCH_PEER_CONNECTING;
	return 0;
}

int bench_peer_join(struct bench_peer *peer)
{
	char message[160];
	int length = peer->protocol->join_message(message, sizeof(message), peer->room);
	if (length < 0)
		return -1;
	if (length == 0) { /* no rooms: accepted is as good as joined */
		set_state(peer, BENCH_PEER_JOINED);
		return 0;
	}
	if (bench_ws_send_text(peer->ws, message, (size_t)length) != 0)
		return -1;
	peer->state = BENCH_PEER_JOINING;
	return 0;
}

int bench_peer_keepalive(struct bench_peer *peer)
{
	const char *message = peer->protocol->keepalive;
	if (message == NULL || peer->ws == NULL || peer->state == BENCH_PEER_CONNECTING ||
	    peer->state == BENCH_PEER_IDLE || peer->state == BENCH_PEER_ENDED)
		return 0;
	return bench_ws_send_text(peer->ws, message, strlen(message));
}

int bench_peer_relay(struct bench_peer *peer, const char *to, enum bench_relay_kind kind,
                     uint64_t now_ns)
{
	char message[4096];
	int length = peer->protocol->relay_message(message, sizeof(message), to, kind, now_ns);
	if (length < 0)
		return -1;
	return bench_ws_send_text(peer->ws, message, (size_t)length);
}

void bench_peer_close(struct bench_peer *peer)
{
	if (peer->ws != NULL && peer->state != BENCH_PEER_ENDED)
		bench_ws_close(peer->ws);
}

void bench_peer_release(struct bench_peer *peer)
{
	bench_ws_free(peer->ws);
	peer->ws = NULL;
}
