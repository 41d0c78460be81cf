/*
 * refresh.h: opaque refresh tokens with single use and rotation.
 *
 * A token is 32 random bytes in Base64url; only its SHA-256 is stored. Each
 * rotation marks the presented token used and issues its successor in the same
 * family. Presenting a used token means it was stolen or replayed, so the whole
 * family is revoked and the legitimate holder must log in again.
 */
#ifndef ICEGATE_AUTH_REFRESH_H
#define ICEGATE_AUTH_REFRESH_H

#include "db/store.h"

#include <stdint.h>

#define REFRESH_TOKEN_MAX 64 /* 43 characters + NUL, with room to spare */

struct refresh_grant {
	char subject[STORE_SUBJECT_MAX];
	unsigned roles; /* ROLE_* bits */
	char room[STORE_ROOM_MAX];
};

enum refresh_result {
	REFRESH_OK = 0,
	REFRESH_UNKNOWN, /* no such token (or malformed) */
	REFRESH_EXPIRED,
	REFRESH_REUSED,  /* already used: family revoked now */
	REFRESH_REVOKED, /* family was revoked earlier */
	REFRESH_STORE_ERROR,
};

/* Issues a token starting a new family (family == NULL) or continuing one.
 * Returns 0 or -1 (store error, see store_error). */
int refresh_issue(struct store *store, const struct refresh_grant *grant, const char *family,
                  int64_t now, int ttl, char token_out[REFRESH_TOKEN_MAX]);

/* Uses token once: on REFRESH_OK fills grant and writes its successor. */
enum refresh_result refresh_rotate(struct store *store, const char *token, int64_t now, int ttl,
                                   struct refresh_grant *grant, char token_out[REFRESH_TOKEN_MAX]);

/* Logout: revokes the token's family. Returns 0, 1 if unknown, -1 on error. */
int refresh_revoke(struct store *store, const char *token);

const char *refresh_result_text(enum refresh_result result);

#endif
