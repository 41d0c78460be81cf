/*
 * control.h: the daemon's local control endpoint, which icegatectl's live
 * commands (status, sessions, rooms, kick) talk to.
 *
 * It is a Unix stream socket (control_socket, by default beside the
 * database) created with mode 0600, and a client is answered only when its
 * peer credentials say root or the daemon's own user. The protocol is one
 * JSON object per line each way (docs/control.md). It is served from the
 * event loop and never blocks it: requests are bounded in size, clients in
 * number, and each request has a deadline.
 */
#ifndef ICEGATE_SIGNALING_CONTROL_H
#define ICEGATE_SIGNALING_CONTROL_H

#include "config/config.h"
#include "db/store.h"

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct control;
struct server;

#define CONTROL_REQUEST_MAX      4096 /* bytes of one request line, newline included */
#define CONTROL_CLIENTS_MAX      16   /* control clients served at once */
#define CONTROL_DEADLINE_SECONDS 5    /* to send a request and read its reply */
#define CONTROL_PEER_ID_MAX      64   /* longest peer id a kick request may name */

/* ---- lifecycle (control.c) ---- */

/* Creates the socket at config_control_socket_path and starts serving it;
 * leaves server->control NULL when control_socket = off. Fails when another
 * icegate answers on the path, or the socket cannot be made. Returns 0, or
 * -1 with err filled. */
int control_start(struct server *server, char *err, size_t err_size);
/* Shutdown: stop accepting, remove the socket file, let the clients in
 * progress finish within their deadline. Safe to call twice. */
void control_stop(struct control *control);
/* Frees everything, closing any client left. NULL is fine. */
void control_free(struct control *control);

/* ---- the socket file (control_socket.c) ---- */

/* Which file we bound, so that only that one is ever removed. */
struct control_socket_file {
	char path[CONFIG_PATH_MAX];
	dev_t device;
	ino_t inode;
};

/* Binds and listens on a Unix socket at path with mode 0600. A socket file
 * left by a daemon that died (connection refused) is replaced; one a live
 * process answers on is not. Returns the listening descriptor (non-blocking,
 * close-on-exec), or -1 with err filled. */
int control_socket_open(const char *path, struct control_socket_file *file, char *err,
                        size_t err_size);
/* Unlinks the socket file if it is still the one we bound. */
void control_socket_remove(const struct control_socket_file *file);

/* ---- requests (control_request.c) ---- */

enum control_command {
	CONTROL_STATUS,   /* {"cmd":"status"} */
	CONTROL_SESSIONS, /* {"cmd":"sessions","room"?} */
	CONTROL_ROOMS,    /* {"cmd":"rooms"} */
	CONTROL_KICK,     /* {"cmd":"kick","id"} or {"cmd":"kick","user"} */
};

struct control_request {
	enum control_command command;
	char room[CONFIG_TEXT_MAX];       /* sessions: only this room; "" = every session */
	char id[CONTROL_PEER_ID_MAX + 1]; /* kick: this peer id; "" when kicking by user */
	char user[STORE_SUBJECT_MAX];     /* kick: every session of this subject; "" by id */
};

/* Parses one request line (without its newline). Returns 0, or -1 with
 * error_code ("bad_request" or "unknown_command") and a message saying what
 * is wrong. */
int control_request_parse(const char *line, size_t length, struct control_request *out,
                          const char **error_code, char *message, size_t message_size);

/* {"error": code, "message": message}: a new reference, or NULL when out of
 * memory. */
json_t *control_error_reply(const char *code, const char *message);

/* ---- commands (control_commands.c) ---- */

/* Runs a parsed request against the live server. Returns the reply (a new
 * reference; an error reply for a missing session or user), or NULL when
 * out of memory. */
json_t *control_execute(struct server *server, const struct control_request *request);

#endif
