/*
 * session.h: one signaling peer on an upgraded WebSocket connection.
 *
 * A session authenticates (upgrade header, query parameter, or a first "auth"
 * message before a deadline), gets a server-assigned peer id, joins at most
 * one room at a time and exchanges the messages of docs/protocol.md. It
 * enforces the per-connection limits (rate, errors, idle time, token expiry)
 * and always ends with a close code the client can act on.
 */
#ifndef ICEGATE_SIGNALING_SESSION_H
#define ICEGATE_SIGNALING_SESSION_H

#include "common/token_bucket.h"

#include <jansson.h>
#include <stdint.h>

struct conn;
struct event;
struct room;
struct server;
struct ws_conn;

#define SESSION_ID_LENGTH 16

struct session {
	struct server *server;          /* borrowed */
	struct conn *conn;              /* borrowed: the connection that owns this session */
	struct ws_conn *ws;             /* owned */
	char id[SESSION_ID_LENGTH + 1]; /* peer id, random hex; key in sessions_by_id */
	int authenticated;
	/* From the newest accepted token, copied to their exact length: */
	char *subject;        /* owned: "sub"; NULL until authenticated */
	char *token_room;     /* owned: the one room the token allows, or NULL for any */
	unsigned token_roles; /* the roles the token grants */
	unsigned roles;       /* roles acted in the room; narrowed by join's "role" */
	struct room *room;    /* borrowed from the registry; NULL when not joined */
	struct token_bucket bucket;
	int violations;               /* error replies so far */
	int closing;                  /* a close frame is queued; teardown is scheduled */
	int feeding;                  /* inside ws_conn_feed: teardown must wait */
	int64_t last_frame_ms;        /* last frame of any kind from the client */
	int64_t read_at_ns;           /* CLOCK_MONOTONIC when the input being handled was
	                               * read: the start of its relay latency */
	int64_t connected_at_ms;      /* wall clock when the upgrade completed */
	uint64_t messages_in;         /* text messages read from the client */
	uint64_t messages_out;        /* text messages queued to the client */
	int64_t ice_expires_at;       /* expiry of the newest TURN credential sent, or 0 */
	int64_t ice_push_at;          /* when the armed push fires, or 0 */
	int64_t deadline_ns;          /* CLOCK_MONOTONIC: auth deadline, then token expiry */
	int64_t ping_at_ns;           /* CLOCK_MONOTONIC: the next ping and idle check */
	struct event *timer;          /* owned: fires at the earlier of those two, or at
	                               * once for the teardown of a closing session */
	struct event *ice_push_timer; /* owned, made on first use: fresh ICE servers
	                               * at 80 % of the last credential's lifetime */
};

/* Starts a session on conn after the 101 response was queued. bearer is the
 * token from the upgrade request (header or query), or NULL. Returns NULL on
 * allocation failure (the caller closes the connection). */
struct session *session_start(struct server *server, struct conn *conn, const char *bearer);
/* Leaves the room, unregisters, frees; the connection is left to its owner. */
void session_free(struct session *session);

/* Input arrived on the connection. */
void session_on_readable(struct session *session);

/* Sends a message (borrowed). Returns 0, or -1 if the session is closing. */
int session_send(struct session *session, const json_t *message);
/* Sends pre-serialised JSON text. */
int session_send_text(struct session *session, const char *text, size_t length);
/* Replies {"type":"error","code","message","ref"} and counts a violation;
 * too many close the connection with 1008. */
void session_send_error(struct session *session, const json_t *request, const char *code,
                        const char *message);
/* Sends a close frame with code and reason. The teardown (leaving the room,
 * closing the connection) runs from the event loop right after, so callers
 * iterating over rooms or sessions may close any session safely. */
void session_close(struct session *session, int code, const char *reason);

/* Accepts token for this session (first auth or renewal). Returns 0, or -1
 * after replying or closing as the protocol says. */
int session_authenticate(struct session *session, const char *token, const json_t *request);

/* Mints ICE servers (TURN credentials) for this session's subject and
 * schedules the push of fresh ones before they expire. New reference, or
 * NULL when minting failed (the message then goes without). */
json_t *session_ice_servers(struct session *session);

/* Dispatches one parsed client message (signal_handlers.c). */
void session_handle_message(struct session *session, json_t *message);
/* Leaves the current room, telling the others (signal_handlers.c). */
void session_leave_room(struct session *session);

#endif
