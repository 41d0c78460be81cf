/*
 * turncred.h: TURN credentials derived from icegate's JWT secret.
 *
 * The patched coturn runs with use-auth-secret and reads its shared secrets
 * from the turn_secret table of icegate's database. Those secrets are derived,
 * never stored elsewhere: HMAC-SHA256(jwt_secret, "icegate-turn-secret/v1\0"
 * realm "\0" window) in hex, one per realm and validity window (window =
 * floor(unix time / window_seconds)). The table holds the current and the
 * previous window for every key of the ring (current and previous JWT secret),
 * so neither a window change nor a JWT secret rotation breaks a live call;
 * older rows are pruned. Credentials follow draft-uberti-behave-turn-rest:
 * username "EXPIRY:SUBJECT", password base64(HMAC-SHA1(secret, username)),
 * signed with the current window's secret of the current key, with a lifetime
 * never longer than one window (so the secret outlives the credential).
 */
#ifndef ICEGATE_AUTH_TURNCRED_H
#define ICEGATE_AUTH_TURNCRED_H

#include "auth/token.h"
#include "db/store.h"

#include <stddef.h>
#include <stdint.h>

#define TURNCRED_SECRET_HEX   65  /* 64 hex characters + NUL */
#define TURNCRED_USERNAME_MAX 160 /* "EXPIRY:" + subject + NUL */
#define TURNCRED_PASSWORD_MAX 32  /* base64 of 20 bytes (28) + NUL */

struct turncred {
	char username[TURNCRED_USERNAME_MAX];
	char password[TURNCRED_PASSWORD_MAX];
	int64_t expires_at; /* the EXPIRY in the username */
	int ttl;            /* seconds from issue to expiry */
};

/* The window index of time now. */
int64_t turncred_window(int64_t now, int window_seconds);

/* Derives the shared secret of realm and window from one JWT key. */
void turncred_derive_secret(const struct token_key *key, const char *realm, int64_t window,
                            char out[TURNCRED_SECRET_HEX]);

/* Mints a credential for subject, valid from now for min(ttl, window_seconds).
 * Returns 0, or -1 when subject is empty, too long or has control bytes. */
int turncred_mint(const struct token_keyring *ring, const char *realm, int window_seconds, int ttl,
                  const char *subject, int64_t now, struct turncred *out);

/* Makes turn_secret hold exactly the current and previous window's secrets of
 * every key in ring for realm (rows of other realms are left alone).
 * Idempotent; one transaction. Returns 0, or -1 (see store_error). */
int turncred_sync_secrets(struct store *store, const struct token_keyring *ring, const char *realm,
                          int window_seconds, int64_t now);

/* 1 if secret_hex is in turn_secret for realm right now (readiness). */
int turncred_secret_current(struct store *store, const struct token_keyring *ring,
                            const char *realm, int window_seconds, int64_t now);

#endif
