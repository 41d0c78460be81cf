/*
 * secret.c: builds the token key ring from the configuration and the store.
 *
 * A configured secret is used as its raw bytes. One longer than an HMAC-SHA256
 * block (64 bytes) is replaced by its SHA-256, which is exactly what HMAC does
 * with such a key (RFC 2104), so signatures stay the same as with the full
 * secret while the ring keeps a bounded key. Without a configured secret the
 * store's "jwt_secret" setting signs, created with 32 fresh random bytes by
 * store_setting_init so that processes starting together agree on one value,
 * and "jwt_secret_previous", left by the last rotation, still verifies.
 * Rotation swaps them in one transaction and records an event, so a running
 * daemon reloads its ring. Copies of secrets are wiped once the ring holds
 * them.
 */
#include "common/hex.h"
#include "auth/secret.h"

#include "common/random.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SECRET_MIN_BYTES        32
#define SECRET_GENERATED_BYTES  32
#define SECRET_SETTING          "jwt_secret"
#define SECRET_PREVIOUS_SETTING "jwt_secret_previous"
#define SECRET_HMAC_BLOCK       64 /* SHA-256 block size: longer HMAC keys are hashed */

static int fail(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_size, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vsnprintf(err, err_size, fmt, args);
	va_end(args);
	return -1;
}

/* Decodes hex into out; returns the byte count or -1 if not even-length hex
 * of SECRET_MIN_BYTES..TOKEN_SECRET_MAX bytes. */
static long decode_hex_secret(const char *hex, unsigned char out[TOKEN_SECRET_MAX])
{
	size_t length = strlen(hex);
	if (length % 2 != 0 || length < 2 * SECRET_MIN_BYTES || length > 2 * TOKEN_SECRET_MAX)
		return -1;
	for (size_t i = 0; i < length / 2; i++) {
		int high = hex_digit_value(hex[2 * i]), low = hex_digit_value(hex[2 * i + 1]);
		if (high < 0 || low < 0)
			return -1;
		out[i] = (unsigned char)(high << 4 | low);
	}
	return (long)(length / 2);
}

static int add_configured_secret(const char *secret, struct token_keyring *ring, char *err,
                                 size_t err_size)
{
	size_t length = strlen(secret);
	if (length < SECRET_MIN_BYTES)
		return fail(err, err_size, "jwt_secret: must be at least %d bytes, got %zu",
		            SECRET_MIN_BYTES, length);
	int rc;
	if (length > SECRET_HMAC_BLOCK) {
		unsigned char digest[SHA256_DIGEST_LENGTH];
		SHA256((const unsigned char *)secret, length, digest);
		rc = token_keyring_add(ring, digest, sizeof(digest));
		OPENSSL_cleanse(digest, sizeof(digest));
	} else {
		rc = token_keyring_add(ring, (const unsigned char *)secret, length);
	}
	if (rc != 0)
		return fail(err, err_size, "jwt_secret: could not be added to the key ring");
	return 0;
}

/* Reads and decodes one stored secret; returns 0 found, 1 missing, -1 error. */
static int read_stored_secret(struct store *store, const char *key, unsigned char *secret,
                              long *length, char *err, size_t err_size)
{
	char stored[2 * TOKEN_SECRET_MAX + 2];
	int found = store_setting_get(store, key, stored, sizeof(stored));
	if (found < 0)
		fail(err, err_size, "could not load the JWT secret: %s", store_error(store));
	if (found == 0) {
		*length = decode_hex_secret(stored, secret);
		if (*length < 0) {
			fail(err, err_size,
			     "the stored JWT secret (%s) is malformed: expected %d to %d bytes in "
			     "hex",
			     key, SECRET_MIN_BYTES, TOKEN_SECRET_MAX);
			found = -1;
		}
	}
	OPENSSL_cleanse(stored, sizeof(stored));
	return found;
}

/* Ensures the current secret exists (generating it on first start), then
 * reads current and previous. icegatectl may rotate between the two reads, so
 * the current one is read again and the pair retried until it is stable. */
static int add_stored_secrets(struct store *store, struct token_keyring *ring, int *generated,
                              char *err, size_t err_size)
{
	if (!store)
		return fail(err, err_size, "no jwt_secret configured and no database to keep one");
	char fresh[2 * SECRET_GENERATED_BYTES + 1];
	char stored[2 * TOKEN_SECRET_MAX + 2];
	unsigned char current[TOKEN_SECRET_MAX], again[TOKEN_SECRET_MAX];
	unsigned char previous[TOKEN_SECRET_MAX];
	long current_length = 0, again_length = 0, previous_length = 0;
	int result = -1, has_previous = 0;
	if (random_hex(fresh, SECRET_GENERATED_BYTES) != 0) {
		fail(err, err_size, "could not generate a JWT secret: no randomness");
		goto out;
	}
	if (store_setting_init(store, SECRET_SETTING, fresh, stored, sizeof(stored)) != 0) {
		fail(err, err_size, "could not load the JWT secret: %s", store_error(store));
		goto out;
	}
	*generated = strcmp(stored, fresh) == 0;
	for (int attempt = 0;; attempt++) {
		if (read_stored_secret(store, SECRET_SETTING, current, &current_length, err,
		                       err_size) != 0) {
			if (err[0] == '\0')
				fail(err, err_size, "the JWT secret vanished while loading it");
			goto out;
		}
		int found = read_stored_secret(store, SECRET_PREVIOUS_SETTING, previous,
		                               &previous_length, err, err_size);
		if (found < 0)
			goto out;
		has_previous = found == 0;
		if (read_stored_secret(store, SECRET_SETTING, again, &again_length, err,
		                       err_size) != 0)
			goto out;
		if (again_length == current_length &&
		    memcmp(again, current, (size_t)current_length) == 0)
			break;
		if (attempt == 2) {
			fail(err, err_size, "the JWT secret kept changing while loading it");
			goto out;
		}
	}
	if (token_keyring_add(ring, current, (size_t)current_length) != 0 ||
	    (has_previous && token_keyring_add(ring, previous, (size_t)previous_length) != 0)) {
		fail(err, err_size, "the stored JWT secret could not be added to the key ring");
		goto out;
	}
	result = 0;
out:
	OPENSSL_cleanse(fresh, sizeof(fresh));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(current, sizeof(current));
	OPENSSL_cleanse(again, sizeof(again));
	OPENSSL_cleanse(previous, sizeof(previous));
	return result;
}

int secret_load_keyring(const struct config *cfg, struct store *store, struct token_keyring *ring,
                        int *generated, char *err, size_t err_size)
{
	memset(ring, 0, sizeof(*ring));
	*generated = 0;
	if (err_size > 0)
		err[0] = '\0';
	if (strlen(cfg->issuer) >= sizeof(ring->issuer) ||
	    strlen(cfg->audience) >= sizeof(ring->audience))
		return fail(err, err_size, "issuer or audience too long");
	snprintf(ring->issuer, sizeof(ring->issuer), "%s", cfg->issuer);
	snprintf(ring->audience, sizeof(ring->audience), "%s", cfg->audience);
	ring->leeway = cfg->token_leeway > 0 ? cfg->token_leeway : 0;

	int rc = cfg->jwt_secret[0] != '\0'
	             ? add_configured_secret(cfg->jwt_secret, ring, err, err_size)
	             : add_stored_secrets(store, ring, generated, err, err_size);
	if (rc != 0)
		memset(ring, 0, sizeof(*ring));
	return rc;
}

int secret_rotate(const struct config *cfg, struct store *store, int drop_previous, char *err,
                  size_t err_size)
{
	if (err_size > 0)
		err[0] = '\0';
	if (cfg->jwt_secret[0] != '\0')
		return fail(err, err_size,
		            "jwt_secret is set in the configuration: change it there (rotation "
		            "manages only the secret kept in the database)");
	if (!store)
		return fail(err, err_size, "no database to rotate the JWT secret in");
	char fresh[2 * SECRET_GENERATED_BYTES + 1];
	char current[2 * TOKEN_SECRET_MAX + 2];
	if (random_hex(fresh, SECRET_GENERATED_BYTES) != 0)
		return fail(err, err_size, "could not generate a JWT secret: no randomness");
	int result = -1;
	if (store_begin(store) != 0) {
		fail(err, err_size, "rotating the JWT secret: %s", store_error(store));
		goto out;
	}
	int found = store_setting_get(store, SECRET_SETTING, current, sizeof(current));
	int ok = found >= 0;
	unsigned char decoded[TOKEN_SECRET_MAX];
	int usable = found == 0 && decode_hex_secret(current, decoded) >= 0;
	OPENSSL_cleanse(decoded, sizeof(decoded));
	/* Without a usable current secret no token can need the fallback, and a
	 * malformed one kept as previous would stop every process loading. */
	if (ok && (drop_previous || !usable))
		ok = store_setting_delete(store, SECRET_PREVIOUS_SETTING) >= 0;
	else if (ok)
		ok = store_setting_set(store, SECRET_PREVIOUS_SETTING, current) == 0;
	ok = ok && store_setting_set(store, SECRET_SETTING, fresh) == 0 &&
	     store_user_event_append(store, drop_previous ? "now" : "", STORE_SECRET_ROTATED) == 0;
	if (ok && store_commit(store) == 0) {
		result = 0;
	} else {
		fail(err, err_size, "rotating the JWT secret: %s", store_error(store));
		if (ok == 0)
			store_rollback(store);
	}
out:
	OPENSSL_cleanse(fresh, sizeof(fresh));
	OPENSSL_cleanse(current, sizeof(current));
	return result;
}
