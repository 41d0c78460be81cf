/*
 * refresh.c: refresh tokens, single use with rotation and reuse detection.
 *
 * The token is a bearer secret, so the database only ever sees its SHA-256: a
 * leaked database file yields no usable token. A presented string that cannot
 * be one of ours (not 43 canonical Base64url characters of 32 bytes) is
 * answered as unknown without touching the database. Marking a token used and
 * writing its successor happen in one transaction: if the successor could not
 * be written the old token stays usable, instead of leaving the holder with a
 * token whose next use would look like theft and revoke the family.
 */
#include "auth/refresh.h"

#include "auth/roles.h"
#include "common/base64.h"
#include "common/random.h"

#include <openssl/sha.h>

#include <string.h>

#define REFRESH_TOKEN_BYTES  32
#define REFRESH_TOKEN_LENGTH 43 /* Base64url of 32 bytes, unpadded */
#define REFRESH_FAMILY_BYTES 16 /* 32 hex characters */

/* 1 if token has exactly the shape refresh_issue produces. */
static int token_is_well_formed(const char *token)
{
	if (!token || strnlen(token, REFRESH_TOKEN_MAX) != REFRESH_TOKEN_LENGTH)
		return 0;
	unsigned char raw[REFRESH_TOKEN_BYTES + 3];
	return b64_decode(token, REFRESH_TOKEN_LENGTH, raw, 1) == REFRESH_TOKEN_BYTES;
}

static void hash_token(const char *token, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)token, strlen(token), digest);
	for (size_t i = 0; i < sizeof(digest); i++) {
		out[2 * i] = digits[digest[i] >> 4];
		out[2 * i + 1] = digits[digest[i] & 15];
	}
	out[2 * sizeof(digest)] = '\0';
}

static int grant_is_valid(const struct refresh_grant *grant)
{
	size_t subject_length = strnlen(grant->subject, sizeof(grant->subject));
	return subject_length > 0 && subject_length < sizeof(grant->subject) &&
	       strnlen(grant->room, sizeof(grant->room)) < sizeof(grant->room);
}

int refresh_issue(struct store *store, const struct refresh_grant *grant, const char *family,
                  int64_t now, int ttl, char token_out[REFRESH_TOKEN_MAX])
{
	token_out[0] = '\0';
	if (!grant_is_valid(grant) || ttl <= 0 || now > INT64_MAX - ttl)
		return -1;
	struct store_refresh row = {.issued_at = now, .expires_at = now + ttl};
	if (roles_format(grant->roles, row.roles, sizeof(row.roles)) != 0)
		return -1;
	memcpy(row.subject, grant->subject, sizeof(row.subject));
	memcpy(row.room, grant->room, sizeof(row.room));
	if (family) {
		size_t family_length = strnlen(family, sizeof(row.family));
		if (family_length == 0 || family_length == sizeof(row.family))
			return -1;
		memcpy(row.family, family, family_length + 1);
	} else if (random_hex(row.family, REFRESH_FAMILY_BYTES) != 0) {
		return -1;
	}
	char token[REFRESH_TOKEN_MAX];
	if (random_token(token, REFRESH_TOKEN_BYTES) != 0)
		return -1;
	hash_token(token, row.token_hash);
	if (store_refresh_insert(store, &row) != 0)
		return -1;
	memcpy(token_out, token, REFRESH_TOKEN_LENGTH + 1);
	return 0;
}

/* The presented token was already used: someone replayed it, so nobody in
 * its family can be trusted any more. */
static enum refresh_result revoke_for_reuse(struct store *store, const char *family)
{
	if (store_refresh_revoke_family(store, family) != 0)
		return REFRESH_STORE_ERROR;
	return REFRESH_REUSED;
}

enum refresh_result refresh_rotate(struct store *store, const char *token, int64_t now, int ttl,
                                   struct refresh_grant *grant, char token_out[REFRESH_TOKEN_MAX])
{
	token_out[0] = '\0';
	if (!token_is_well_formed(token))
		return REFRESH_UNKNOWN;
	char token_hash[65];
	hash_token(token, token_hash);
	struct store_refresh row;
	int found = store_refresh_get(store, token_hash, &row);
	if (found < 0)
		return REFRESH_STORE_ERROR;
	if (found > 0)
		return REFRESH_UNKNOWN;
	if (row.revoked)
		return REFRESH_REVOKED;
	/* Checked before expiry: a replay is worth revoking the family even late. */
	if (row.used)
		return revoke_for_reuse(store, row.family);
	if (now >= row.expires_at)
		return REFRESH_EXPIRED;

	struct refresh_grant next = {.roles = roles_parse_list(row.roles)};
	if (next.roles == 0)
		return REFRESH_STORE_ERROR; /* the store holds roles we never wrote */
	memcpy(next.subject, row.subject, sizeof(next.subject));
	memcpy(next.room, row.room, sizeof(next.room));

	if (store_begin(store) != 0)
		return REFRESH_STORE_ERROR;
	int marked = store_refresh_mark_used(store, token_hash, now);
	if (marked < 0) {
		store_rollback(store);
		return REFRESH_STORE_ERROR;
	}
	enum refresh_result result = REFRESH_OK;
	if (marked > 0)
		result = revoke_for_reuse(store, row.family); /* lost a race with another use */
	else if (refresh_issue(store, &next, row.family, now, ttl, token_out) != 0)
		result = REFRESH_STORE_ERROR;
	if (result == REFRESH_STORE_ERROR || store_commit(store) != 0) {
		store_rollback(store);
		token_out[0] = '\0';
		return REFRESH_STORE_ERROR;
	}
	if (result == REFRESH_OK)
		*grant = next;
	return result;
}

int refresh_revoke(struct store *store, const char *token)
{
	if (!token_is_well_formed(token))
		return 1;
	char token_hash[65];
	hash_token(token, token_hash);
	struct store_refresh row;
	int found = store_refresh_get(store, token_hash, &row);
	if (found != 0)
		return found;
	return store_refresh_revoke_family(store, row.family) == 0 ? 0 : -1;
}

const char *refresh_result_text(enum refresh_result result)
{
	switch (result) {
	case REFRESH_OK:
		return "ok";
	case REFRESH_UNKNOWN:
		return "unknown refresh token";
	case REFRESH_EXPIRED:
		return "refresh token expired";
	case REFRESH_REUSED:
		return "refresh token reused: all tokens of this login revoked";
	case REFRESH_REVOKED:
		return "refresh token revoked";
	case REFRESH_STORE_ERROR:
		break;
	}
	return "internal error";
}
