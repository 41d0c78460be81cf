/*
 * ice_servers.h: the RTCIceServer list a peer needs, with TURN credentials
 * minted for that peer's subject.
 *
 * Every list is minted for one subject: the joining peer in "joined", the
 * recipient in a relayed "offer" or "answer", the caller of
 * GET /api/v1/ice-servers. Each issued credential is queued for the audit
 * table and written in batches by a timer, never on the request's path.
 */
#ifndef ICEGATE_SIGNALING_ICE_SERVERS_H
#define ICEGATE_SIGNALING_ICE_SERVERS_H

#include "auth/turncred.h"

#include <jansson.h>
#include <stdint.h>

struct server;

/* The STUN and TURN URLs of this deployment ("stun:host:3478",
 * "turn:host:3478?transport=udp", ...; "turns:" when turn_tls is on). */
json_t *ice_servers_urls(const struct server *server, int include_stun);

/* Mints a credential for subject and returns the iceServers array (new
 * reference); *expires_at gets the credential's expiry. NULL on failure. */
json_t *ice_servers_mint(struct server *server, const char *subject, int64_t *expires_at);

/* Mints a credential in the TURN REST draft's own format (username,
 * password, ttl, uris). NULL on failure. */
json_t *ice_servers_rest_credential(struct server *server, const char *subject);

/* When to push fresh servers to a peer whose credential was issued at
 * issued_at and expires at expires_at: at 80 % of its lifetime. */
int64_t ice_servers_push_time(int64_t issued_at, int64_t expires_at);

/* Starts the timers: turn_secret sync at each window boundary (and now),
 * and the audit batch flush. Returns 0 or -1. */
int ice_servers_start(struct server *server);
/* Re-derives turn_secret now (after the signing keys changed). Returns 0 or -1. */
int ice_servers_sync_now(struct server *server);
/* Flushes queued audit records (at shutdown). */
void ice_servers_flush_audit(struct server *server);

#endif
