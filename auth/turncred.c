/*
 * turncred.c: TURN credentials (draft-uberti-behave-turn-rest) whose shared
 * secrets are derived from the JWT key ring, so there is no second secret to
 * generate, rotate or leak.
 *
 * The derivation input is the byte string "icegate-turn-secret/v1", a NUL, the
 * realm, a NUL, and the window index in decimal ASCII (no sign for windows
 * after 1970, no terminator); the key is the JWT key's raw bytes; the secret
 * is the HMAC-SHA256 in lowercase hex. coturn uses that hex text as the HMAC
 * key of the password, exactly as it reads it from turn_secret. Secrets and
 * passwords are wiped from the stack once they are no longer needed.
 */
#include "auth/turncred.h"

#include "common/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TURNCRED_DOMAIN       "icegate-turn-secret/v1"
#define TURNCRED_SUBJECT_MAX  (STORE_SUBJECT_MAX - 1)
#define TURNCRED_ROWS_MAX     (2 * TOKEN_KEYS_MAX) /* current and previous window per key */
#define TURNCRED_INPUT_MAX    (sizeof(TURNCRED_DOMAIN) + STORE_TURN_REALM_MAX + 24)
#define TURNCRED_SHA1_BYTES   20
#define TURNCRED_SHA256_BYTES 32

_Static_assert(TURNCRED_USERNAME_MAX <= STORE_TURN_USERNAME_MAX,
               "a minted username must fit the store's revocation and audit records");
_Static_assert(TURNCRED_SECRET_HEX <= STORE_TURN_SECRET_MAX, "a secret must fit turn_secret");

int64_t turncred_window(int64_t now, int window_seconds)
{
	if (window_seconds <= 0)
		return 0;
	int64_t window = now / window_seconds;
	/* Floor, not truncation, so the window before the epoch is -1. */
	if (now % window_seconds != 0 && now < 0)
		window--;
	return window;
}

void turncred_derive_secret(const struct token_key *key, const char *realm, int64_t window,
                            char out[TURNCRED_SECRET_HEX])
{
	unsigned char input[TURNCRED_INPUT_MAX];
	size_t realm_length = strnlen(realm, STORE_TURN_REALM_MAX - 1);
	size_t used = 0;
	memcpy(input, TURNCRED_DOMAIN, sizeof(TURNCRED_DOMAIN)); /* with its NUL */
	used += sizeof(TURNCRED_DOMAIN);
	memcpy(input + used, realm, realm_length);
	used += realm_length;
	input[used++] = '\0';
	int digits = snprintf((char *)input + used, sizeof(input) - used, "%" PRId64, window);
	used += (size_t)digits;

	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	if (!HMAC(EVP_sha256(), key->secret, (int)key->secret_length, input, used, mac,
	          &mac_length) ||
	    mac_length != TURNCRED_SHA256_BYTES) {
		/* Never hand out a predictable secret: an empty one matches no row
		 * and fails every credential instead. */
		out[0] = '\0';
		OPENSSL_cleanse(mac, sizeof(mac));
		return;
	}
	static const char digits_hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < mac_length; i++) {
		out[2 * i] = digits_hex[mac[i] >> 4];
		out[2 * i + 1] = digits_hex[mac[i] & 0x0f];
	}
	out[2 * mac_length] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
}

static int turncred_subject_ok(const char *subject)
{
	size_t length = strnlen(subject, TURNCRED_SUBJECT_MAX + 1);
	if (length == 0 || length > TURNCRED_SUBJECT_MAX)
		return 0;
	for (const unsigned char *c = (const unsigned char *)subject; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return 0;
	}
	return 1;
}

int turncred_mint(const struct token_keyring *ring, const char *realm, int window_seconds, int ttl,
                  const char *subject, int64_t now, struct turncred *out)
{
	memset(out, 0, sizeof(*out));
	if (!ring || ring->count < 1 || window_seconds <= 0 || ttl <= 0 || !subject ||
	    !turncred_subject_ok(subject))
		return -1;
	/* The secret signing this credential leaves turn_secret two windows
	 * after its own starts, so a credential may live one window at most. */
	int lifetime = ttl < window_seconds ? ttl : window_seconds;
	int64_t expires_at = now + lifetime;
	int written =
	    snprintf(out->username, sizeof(out->username), "%" PRId64 ":%s", expires_at, subject);
	if (written < 0 || (size_t)written >= sizeof(out->username)) {
		memset(out, 0, sizeof(*out));
		return -1;
	}

	char secret[TURNCRED_SECRET_HEX];
	turncred_derive_secret(&ring->keys[0], realm, turncred_window(now, window_seconds), secret);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	int ok = secret[0] != '\0' &&
	         HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)out->username,
	              (size_t)written, mac, &mac_length) != NULL &&
	         mac_length == TURNCRED_SHA1_BYTES;
	if (ok)
		b64_encode(mac, mac_length, out->password, 0);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(mac, sizeof(mac));
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->expires_at = expires_at;
	out->ttl = lifetime;
	return 0;
}

/* Fills rows with the secrets turn_secret must hold; returns their count. */
static size_t turncred_expected(const struct token_keyring *ring, const char *realm,
                                int window_seconds, int64_t now,
                                char rows[TURNCRED_ROWS_MAX][TURNCRED_SECRET_HEX])
{
	int64_t window = turncred_window(now, window_seconds);
	size_t count = 0;
	int keys = ring->count < TOKEN_KEYS_MAX ? ring->count : TOKEN_KEYS_MAX;
	for (int key = 0; key < keys; key++) {
		for (int64_t w = window; w >= window - 1; w--) {
			turncred_derive_secret(&ring->keys[key], realm, w, rows[count]);
			if (rows[count][0] != '\0')
				count++;
		}
	}
	return count;
}

int turncred_sync_secrets(struct store *store, const struct token_keyring *ring, const char *realm,
                          int window_seconds, int64_t now)
{
	if (!ring || ring->count < 1 || window_seconds <= 0)
		return -1;
	char rows[TURNCRED_ROWS_MAX][TURNCRED_SECRET_HEX];
	const char *values[TURNCRED_ROWS_MAX];
	size_t count = turncred_expected(ring, realm, window_seconds, now, rows);
	for (size_t i = 0; i < count; i++)
		values[i] = rows[i];
	/* A derivation failure leaves fewer rows than keys need; writing them
	 * would silently drop working secrets, so write nothing. */
	int keys = ring->count < TOKEN_KEYS_MAX ? ring->count : TOKEN_KEYS_MAX;
	int result =
	    (int)count == 2 * keys ? store_turn_secrets_replace(store, realm, values, count) : -1;
	OPENSSL_cleanse(rows, sizeof(rows));
	return result;
}

struct turncred_lookup {
	const char *wanted; /* borrowed */
	int found;
};

static void turncred_match(const char *value, void *arg)
{
	struct turncred_lookup *lookup = arg;
	size_t length = strlen(value);
	if (length == strlen(lookup->wanted) && CRYPTO_memcmp(value, lookup->wanted, length) == 0)
		lookup->found = 1;
}

int turncred_secret_current(struct store *store, const struct token_keyring *ring,
                            const char *realm, int window_seconds, int64_t now)
{
	if (!ring || ring->count < 1 || window_seconds <= 0)
		return -1;
	char secret[TURNCRED_SECRET_HEX];
	turncred_derive_secret(&ring->keys[0], realm, turncred_window(now, window_seconds), secret);
	struct turncred_lookup lookup = {secret, 0};
	int result =
	    secret[0] == '\0' ? -1 : store_turn_secrets_list(store, realm, turncred_match, &lookup);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (result < 0)
		return -1;
	return lookup.found;
}
