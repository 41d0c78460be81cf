/*
 * secret.c: builds the token key ring from the configuration and the store.
 *
 * A configured secret is used as its raw bytes. One longer than an HMAC-SHA256
 * block (64 bytes) is replaced by its SHA-256, which is exactly what HMAC does
 * with such a key (RFC 2104), so signatures stay the same as with the full
 * secret while the ring keeps a bounded key. Without a configured secret the
 * store's "jwt_secret" setting is used, created with 32 fresh random bytes by
 * store_setting_init so that processes starting together agree on one value.
 * Copies of the secret are wiped from the stack once the ring holds it.
 */
#include "common/hex.h"
#include "auth/secret.h"

#include "common/random.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SECRET_MIN_BYTES       32
#define SECRET_GENERATED_BYTES 32
#define SECRET_SETTING         "jwt_secret"
#define SECRET_HMAC_BLOCK      64 /* SHA-256 block size: longer HMAC keys are hashed */

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

static int add_stored_secret(struct store *store, struct token_keyring *ring, int *generated,
                             char *err, size_t err_size)
{
	if (!store)
		return fail(err, err_size, "no jwt_secret configured and no database to keep one");
	char fresh[2 * SECRET_GENERATED_BYTES + 1];
	char stored[2 * TOKEN_SECRET_MAX + 2];
	unsigned char secret[TOKEN_SECRET_MAX];
	int result = -1;
	if (random_hex(fresh, SECRET_GENERATED_BYTES) != 0) {
		fail(err, err_size, "could not generate a JWT secret: no randomness");
		goto out;
	}
	if (store_setting_init(store, SECRET_SETTING, fresh, stored, sizeof(stored)) != 0) {
		fail(err, err_size, "could not load the JWT secret: %s", store_error(store));
		goto out;
	}
	long length = decode_hex_secret(stored, secret);
	if (length < 0) {
		fail(err, err_size,
		     "the stored JWT secret is malformed: expected %d to %d bytes in hex",
		     SECRET_MIN_BYTES, TOKEN_SECRET_MAX);
		goto out;
	}
	if (token_keyring_add(ring, secret, (size_t)length) != 0) {
		fail(err, err_size, "the stored JWT secret could not be added to the key ring");
		goto out;
	}
	*generated = strcmp(stored, fresh) == 0;
	result = 0;
out:
	OPENSSL_cleanse(fresh, sizeof(fresh));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(secret, sizeof(secret));
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
	             : add_stored_secret(store, ring, generated, err, err_size);
	if (rc != 0)
		memset(ring, 0, sizeof(*ring));
	return rc;
}
