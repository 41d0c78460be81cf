/*
 * protocol.h: what differs between the signaling servers the generator can
 * drive, behind one small interface, so the relay, latency and idle
 * scenarios run unchanged against each of them:
 *
 *   icegate  /ws?access_token=JWT; "authenticated" gives the peer its id,
 *            then a "join" to a room of two; relays {"type":"candidate",
 *            "to":ID,...} and receives them with "from" added.
 *   peerjs   the PeerJS server: /peerjs?key=peerjs&token=T&id=ID with an id
 *            the client chooses; {"type":"OPEN"} says it is registered;
 *            relays {"type":"CANDIDATE"|"OFFER","dst":ID,"payload":{...}} and
 *            receives them with "src" added; a {"type":"HEARTBEAT"} every 5 s
 *            keeps the registration alive, as the PeerJS client does.
 *   echo     the limit reference (bench/reference/forwarder.c): /pair?room=R
 *            pairs the two connections of a room; {"type":"open"} says the
 *            connection is accepted; every text message goes to the partner
 *            unchanged, so it arrives exactly as it was sent.
 *
 * The send time travels inside the relayed payload (" bench-ts <ns>" at the
 * end of an ICE candidate line), so latency is measured through the server's
 * own parser and serializer.
 */
#ifndef ICEGATE_BENCH_PROTOCOL_H
#define ICEGATE_BENCH_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

enum bench_relay_kind {
	BENCH_RELAY_CANDIDATE, /* ~250-byte candidate messages */
	BENCH_RELAY_OFFER,     /* ~1.5 KiB offer messages with a realistic SDP */
};

/* What an incoming text message means to a benchmark peer. */
enum bench_arrival {
	BENCH_ARRIVAL_OTHER,   /* nothing the benchmark acts on */
	BENCH_ARRIVAL_READY,   /* accepted: the peer's id is in value */
	BENCH_ARRIVAL_JOINED,  /* the room join succeeded */
	BENCH_ARRIVAL_RELAYED, /* a benchmark message: its send time is in *sent_ns */
	BENCH_ARRIVAL_ERROR,   /* the server refused something: its code is in value */
};

struct bench_protocol {
	const char *name;
	/* The shared part of the upgrade path; credential is the token file's
	 * first line (icegate) or NULL. Returns 0, or -1 if it does not fit. */
	int (*base_path)(char *out, size_t size, const char *credential);
	/* The per-peer rest of the path for a peer named name (chosen by the
	 * client) in room (shared by a pair). Returns 0 or -1. */
	int (*peer_path)(char *out, size_t size, const char *name, const char *room);
	/* The join message for room, or 0 if the protocol has no rooms (the
	 * peer counts as joined once ready). Returns its length, 0 or -1. */
	int (*join_message)(char *out, size_t size, const char *room);
	/* A timestamped message to peer id to. Returns its length or -1. */
	int (*relay_message)(char *out, size_t size, const char *to, enum bench_relay_kind kind,
	                     uint64_t now_ns);
	/* Classifies one incoming message; value (value_size bytes) receives
	 * the id or error code, *sent_ns the send time. */
	enum bench_arrival (*classify)(const char *text, size_t length, const char *own_name,
	                               char *value, size_t value_size, uint64_t *sent_ns);
	const char *keepalive;    /* sent every keepalive_seconds once ready; NULL if none */
	double keepalive_seconds; /* 0 if none */
	int needs_credential;     /* 1 if --token-file is required */
};

extern const struct bench_protocol bench_protocol_icegate;
extern const struct bench_protocol bench_protocol_peerjs;
extern const struct bench_protocol bench_protocol_echo;

/* The protocol called name ("icegate", "peerjs", "echo"), or NULL. */
const struct bench_protocol *bench_protocol_find(const char *name);

/* Shared helpers for the protocol files. */

/* Finds " bench-ts <digits>" in text, if key (a quoted JSON key such as
 * "\"from\"") also occurs; NULL key = marker alone. Returns 1 with *sent_ns
 * filled, 0 otherwise. Bounded by length, not by a NUL. */
int bench_protocol_find_timestamp(const char *text, size_t length, const char *key,
                                  uint64_t *sent_ns);

/* The JSON-escaped body of a browser-like offer SDP, and the candidate line
 * the timestamp is appended to. */
extern const char bench_offer_sdp[];
extern const char bench_candidate_line[];
#define BENCH_TS_MARKER "bench-ts "

#endif
