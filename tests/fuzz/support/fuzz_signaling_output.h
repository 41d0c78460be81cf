/*
 * fuzz_signaling_output.h: checking everything a signaling client received
 * from the server against docs/protocol.md: HTTP/1.1 responses, then, after
 * a 101, WebSocket frames carrying JSON messages.
 *
 * Two passes over the clients' streams: the first notes the peer ids the
 * server announced to each client ("authenticated"), since a relayed message
 * may reach one client before the other's announcement is read; the second
 * checks every byte, knowing all of them.
 */
#ifndef ICEGATE_FUZZ_SIGNALING_OUTPUT_H
#define ICEGATE_FUZZ_SIGNALING_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_PEER_ID_LENGTH 16
#define FUZZ_PEER_IDS_MAX   64

struct fuzz_peer_ids {
	char ids[FUZZ_PEER_IDS_MAX][FUZZ_PEER_ID_LENGTH + 1];
	size_t count;
};

/* What one client has learnt from its own stream. */
struct fuzz_client_view {
	struct fuzz_peer_ids own;  /* the ids the server gave this client's session */
	struct fuzz_peer_ids room; /* the peers in its room, from joined, peer-joined,
	                            * peer-left and left */
};

/* Adds id (if it is a peer id not yet listed) to ids. */
void fuzz_peer_ids_add(struct fuzz_peer_ids *ids, const char *id);

/* First pass: the peer ids announced in the length bytes a client received
 * go to view->own. */
void fuzz_output_note_ids(const uint8_t *bytes, size_t length, struct fuzz_client_view *view);

/* Second pass: checks the bytes a client received. announced holds the ids
 * announced to every client; view->room is followed along the stream. */
void fuzz_output_check(const uint8_t *bytes, size_t length, const struct fuzz_peer_ids *announced,
                       struct fuzz_client_view *view);

/* Prints the bytes to stderr, frames shown as their payloads. */
void fuzz_output_trace(const char *name, const uint8_t *bytes, size_t length);

#endif
