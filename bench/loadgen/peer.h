/*
 * peer.h: one benchmark client speaking icegate's signaling protocol over a
 * bench_ws connection: wait for "authenticated", join a room, relay
 * timestamped candidates or offers to another peer, and recognise them when
 * they arrive.
 *
 * The send time travels inside the relayed payload itself (" bench-ts <ns>"
 * at the end of an ICE candidate line), so latency is measured end to end
 * through the daemon's parser and serializer, not beside them. Sender and
 * receiver of a pair live in the same process and share CLOCK_MONOTONIC.
 */
#ifndef ICEGATE_BENCH_PEER_H
#define ICEGATE_BENCH_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "bench/loadgen/wsclient.h"

#define BENCH_PEER_ID_MAX 65 /* protocol ids are 16 hex digits; room for more */

enum bench_peer_state {
	BENCH_PEER_IDLE,          /* not connected yet */
	BENCH_PEER_CONNECTING,    /* TCP, upgrade, waiting for "authenticated" */
	BENCH_PEER_AUTHENTICATED, /* id known */
	BENCH_PEER_JOINING,       /* "join" sent */
	BENCH_PEER_JOINED,        /* "joined" received */
	BENCH_PEER_ENDED,         /* connection over, for whatever reason */
};

enum bench_relay_kind {
	BENCH_RELAY_CANDIDATE, /* ~250-byte candidate messages */
	BENCH_RELAY_OFFER,     /* ~1.5 KiB offer messages with a realistic SDP */
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
	char id[BENCH_PEER_ID_MAX];             /* assigned by the server on "authenticated" */
	int close_code;                         /* WebSocket close code once ended (0 if none) */
	char end_reason[128];                   /* why it ended */
	size_t index;                           /* position in the owner's array */
	void *owner;                            /* borrowed: the owner's context */
	const struct bench_peer_events *events; /* borrowed */
};

/* Starts connecting; target and events are borrowed. Returns 0 or -1 with err. */
int bench_peer_connect(struct bench_peer *peer, struct event_base *base,
                       const struct bench_ws_target *target, char *err, size_t err_size);

/* Sends {"type":"join","room":room}. Returns 0 or -1. */
int bench_peer_join(struct bench_peer *peer, const char *room);

/* Relays one timestamped message to peer id to. Returns 0 or -1. */
int bench_peer_relay(struct bench_peer *peer, const char *to, enum bench_relay_kind kind,
                     uint64_t now_ns);

/*
 * Finds the send timestamp in a relayed message. Returns 1 and fills
 * *sent_ns if text is a relayed message ("from" and the bench-ts marker);
 * 0 otherwise.
 */
int bench_peer_parse_relayed(const char *text, size_t length, uint64_t *sent_ns);

/* Starts a normal close; state becomes ENDED when it completes. */
void bench_peer_close(struct bench_peer *peer);
/* Releases the connection (any state). */
void bench_peer_release(struct bench_peer *peer);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

#endif
