/*
 * peer.h: one benchmark client over a bench_ws connection, speaking one of
 * the protocols of protocol.h: wait until the server accepts it, join a room
 * (where the protocol has rooms), relay timestamped candidates or offers to
 * another peer, and recognise them when they arrive.
 *
 * Sender and receiver of a pair live in the same process and share
 * CLOCK_MONOTONIC, so the timestamp in the payload gives the latency.
 */
#ifndef ICEGATE_BENCH_PEER_H
#define ICEGATE_BENCH_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "bench/loadgen/protocol.h"
#include "bench/loadgen/wsclient.h"

#define BENCH_PEER_ID_MAX   65 /* protocol ids are 16 hex digits; room for more */
#define BENCH_PEER_ROOM_MAX 64

enum bench_peer_state {
	BENCH_PEER_IDLE,          /* not connected yet */
	BENCH_PEER_CONNECTING,    /* TCP, upgrade, waiting to be accepted */
	BENCH_PEER_AUTHENTICATED, /* accepted ("authenticated", "OPEN"); id known */
	BENCH_PEER_JOINING,       /* "join" sent */
	BENCH_PEER_JOINED,        /* "joined" received, or accepted by a roomless protocol */
	BENCH_PEER_ENDED,         /* connection over, for whatever reason */
};

struct bench_peer;

/* What a peer reports to its owner. None of them may free the peer. */
struct bench_peer_events {
	void (*on_state)(struct bench_peer *peer); /* authenticated, joined or ended */
	/* A relayed message from this benchmark arrived; sent_ns is when it left. */
	void (*on_relayed)(struct bench_peer *peer, uint64_t sent_ns);
	/* The server answered with {"type":"error"}; code is its "code". */
	void (*on_error)(struct bench_peer *peer, const char *code);
};

struct bench_peer {
	struct bench_ws *ws; /* owned; NULL before connecting */
	enum bench_peer_state state;
	char id[BENCH_PEER_ID_MAX];            /* set when accepted; "" before */
	const struct bench_protocol *protocol; /* borrowed; set before connecting */
	char name[BENCH_PEER_ID_MAX];          /* the id the client asks for (PeerJS) */
	char room[BENCH_PEER_ROOM_MAX];        /* shared with its partner */
	char path_suffix[BENCH_PEER_ID_MAX + BENCH_PEER_ROOM_MAX + 16]; /* per-peer URL part */
	struct bench_ws_target target;          /* the fleet's target with path_suffix */
	int close_code;                         /* WebSocket close code once ended (0 if none) */
	char end_reason[128];                   /* why it ended */
	size_t index;                           /* position in the owner's array */
	void *owner;                            /* borrowed: the owner's context */
	const struct bench_peer_events *events; /* borrowed */
};

/* Starts connecting with protocol, name and room already set; target is
 * copied, events are borrowed. Returns 0 or -1 with err. */
int bench_peer_connect(struct bench_peer *peer, struct event_base *base,
                       const struct bench_ws_target *target, char *err, size_t err_size);

/* Joins the peer's room: sends the protocol's join message, or, for a
 * protocol without rooms, moves straight to JOINED. Returns 0 or -1. */
int bench_peer_join(struct bench_peer *peer);

/* Sends the protocol's keepalive message if it has one and the peer is
 * accepted. Returns 0 or -1. */
int bench_peer_keepalive(struct bench_peer *peer);

/* Relays one timestamped message to peer id to. Returns 0 or -1. */
int bench_peer_relay(struct bench_peer *peer, const char *to, enum bench_relay_kind kind,
                     uint64_t now_ns);

/* Starts a normal close; state becomes ENDED when it completes. */
void bench_peer_close(struct bench_peer *peer);
/* Releases the connection (any state). */
void bench_peer_release(struct bench_peer *peer);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

#endif
