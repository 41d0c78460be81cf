/*
 * user_watch.h: how a running daemon learns of icegatectl's changes. The CLI
 * writes user events into the shared database; the daemon polls for them every
 * user_poll_interval_ms (a cheap PRAGMA data_version check first) and closes
 * the sessions of users who were disabled or deleted with 4403.
 */
#ifndef ICEGATE_SIGNALING_USER_WATCH_H
#define ICEGATE_SIGNALING_USER_WATCH_H

struct server;

/* Records the current event position and starts polling. Returns 0 or -1. */
int user_watch_start(struct server *server);

#endif
