/*
 * token.c: issuing and verifying HS256 access tokens.
 *
 * Issuing goes through libjwt, which builds the header ("alg", "typ", our
 * "kid") and signs. Verifying does not trust libjwt with hostile input: it
 * picks the algorithm from the token's own header and its 1.x releases
 * compared HMAC signatures with a plain strcmp, a timing oracle that depends on
 * which build the system ships. So every check is made here, in a fixed order,
 * each refusal before any work the next one needs: size cap, three non-empty
 * strict Base64url segments, JSON objects without duplicate keys (jansson's
 * JSON_REJECT_DUPLICATES, so no two parsers can read different claims out of
 * one token), "alg" exactly "HS256", "kid" naming a key of the ring, then the
 * HMAC-SHA256 of the first two segments recomputed with OpenSSL and compared
 * with CRYPTO_memcmp, and only then the claims from our own parse.
 *
 * "kid" is required even when the ring holds a single key: every token we
 * issue carries one, and accepting its absence would make a token's validity
 * change the day a second key is added.
 */
#include "auth/token.h"

#include "auth/roles.h"
#include "common/base64.h"
#include "common/random.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_SECRET_MIN      32
#define TOKEN_TEXT_MAX        127 /* longest sub and room, in bytes */
#define TOKEN_JTI_BYTES       16  /* 32 hex characters */
#define TOKEN_SIGNATURE_BYTES 32  /* HMAC-SHA256 */
/* Room for a decoded segment: at most 3 bytes per 4 characters, plus slack. */
#define TOKEN_DECODED_MAX (TOKEN_MAX_LENGTH / 4 * 3 + 3)

static void derive_kid(const unsigned char *secret, size_t length, char kid[TOKEN_KID_MAX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256(secret, length, digest);
	for (int i = 0; i < (TOKEN_KID_MAX - 1) / 2; i++) {
		kid[2 * i] = digits[digest[i] >> 4];
		kid[2 * i + 1] = digits[digest[i] & 15];
	}
	kid[TOKEN_KID_MAX - 1] = '\0';
	OPENSSL_cleanse(digest, sizeof(digest));
}

int token_keyring_add(struct token_keyring *ring, const unsigned char *secret, size_t length)
{
	if (!ring || !secret || length < TOKEN_SECRET_MIN || length > TOKEN_SECRET_MAX)
		return -1;
	if (ring->count < 0 || ring->count >= TOKEN_KEYS_MAX)
		return -1;
	struct token_key *key = &ring->keys[ring->count];
	derive_kid(secret, length, key->kid);
	/* Two keys with one kid would make the lookup ambiguous. */
	for (int i = 0; i < ring->count; i++) {
		if (strcmp(ring->keys[i].kid, key->kid) == 0) {
			memset(key->kid, 0, sizeof(key->kid));
			return -1;
		}
	}
	memcpy(key->secret, secret, length);
	key->secret_length = length;
	ring->count++;
	return 0;
}

/* A subject or room: bounded, no control bytes (they end up in logs and
 * in messages to other peers). */
static int text_is_valid(const char *text, size_t size, int allow_empty)
{
	size_t length = strnlen(text, size);
	if (length == size || length > TOKEN_TEXT_MAX || (length == 0 && !allow_empty))
		return 0;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

static int add_role_grant(jwt_t *jwt, unsigned roles)
{
	if (roles == ROLE_SENDER)
		return jwt_add_grant(jwt, "role", "sender");
	if (roles == ROLE_RECEIVER)
		return jwt_add_grant(jwt, "role", "receiver");
	return jwt_add_grants_json(jwt, "{\"role\":[\"sender\",\"receiver\"]}");
}

int token_issue(const struct token_keyring *ring, struct token_claims *claims, int64_t now, int ttl,
                char **out)
{
	*out = NULL;
	if (!ring || ring->count < 1 || ttl <= 0 || now < 0 || now > INT64_MAX - ttl)
		return -1;
	if (!text_is_valid(claims->subject, sizeof(claims->subject), 0) ||
	    !text_is_valid(claims->room, sizeof(claims->room), 1) || claims->roles == 0 ||
	    (claims->roles & ~(unsigned)ROLE_ALL) != 0)
		return -1;
	if (random_hex(claims->jti, TOKEN_JTI_BYTES) != 0)
		return -1;
	claims->issued_at = now;
	claims->not_before = now;
	claims->expires_at = now + ttl;

	const struct token_key *key = &ring->keys[0];
	jwt_t *jwt = NULL;
	if (jwt_new(&jwt) != 0)
		return -1;
	int rc = jwt_set_alg(jwt, JWT_ALG_HS256, key->secret, (int)key->secret_length);
	rc = rc ? rc : jwt_add_header(jwt, "kid", key->kid);
	rc = rc ? rc : jwt_add_grant(jwt, "iss", ring->issuer);
	rc = rc ? rc : jwt_add_grant(jwt, "aud", ring->audience);
	rc = rc ? rc : jwt_add_grant(jwt, "sub", claims->subject);
	rc = rc ? rc : add_role_grant(jwt, claims->roles);
	if (!rc && claims->room[0] != '\0')
		rc = jwt_add_grant(jwt, "room", claims->room);
	rc = rc ? rc : jwt_add_grant_int(jwt, "iat", (long)claims->issued_at);
	rc = rc ? rc : jwt_add_grant_int(jwt, "nbf", (long)claims->not_before);
	rc = rc ? rc : jwt_add_grant_int(jwt, "exp", (long)claims->expires_at);
	rc = rc ? rc : jwt_add_grant(jwt, "jti", claims->jti);
	char *encoded = rc ? NULL : jwt_encode_str(jwt);
	jwt_free(jwt);
	if (!encoded)
		return -1;
	*out = encoded;
	return 0;
}

/* Strictly decodes one segment and parses it as a JSON object. */
static json_t *parse_segment(const char *text, size_t length)
{
	unsigned char decoded[TOKEN_DECODED_MAX];
	long n = b64_decode(text, length, decoded, 1);
	if (n <= 0)
		return NULL;
	json_t *value = json_loadb((const char *)decoded, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	if (value && !json_is_object(value)) {
		json_decref(value);
		return NULL;
	}
	return value;
}

static int string_equals(const json_t *value, const char *expected)
{
	return json_is_string(value) && json_string_length(value) == strlen(expected) &&
	       strcmp(json_string_value(value), expected) == 0;
}

static enum token_error check_header(const struct token_keyring *ring, const json_t *header,
                                     const struct token_key **key)
{
	if (!string_equals(json_object_get(header, "alg"), "HS256"))
		return TOKEN_BAD_ALGORITHM;
	/* RFC 7515: extensions listed as critical must be understood; we know none. */
	if (json_object_get(header, "crit"))
		return TOKEN_MALFORMED;
	const json_t *kid = json_object_get(header, "kid");
	for (int i = 0; kid && i < ring->count; i++) {
		if (string_equals(kid, ring->keys[i].kid)) {
			*key = &ring->keys[i];
			return TOKEN_OK;
		}
	}
	return TOKEN_UNKNOWN_KEY;
}

static enum token_error check_signature(const struct token_key *key, const char *signed_part,
                                        size_t signed_length, const unsigned char *given,
                                        long given_length)
{
	unsigned char expected[EVP_MAX_MD_SIZE];
	unsigned int expected_length = 0;
	if (!HMAC(EVP_sha256(), key->secret, (int)key->secret_length,
	          (const unsigned char *)signed_part, signed_length, expected, &expected_length) ||
	    expected_length != TOKEN_SIGNATURE_BYTES)
		return TOKEN_INTERNAL;
	if (given_length != TOKEN_SIGNATURE_BYTES)
		return TOKEN_BAD_SIGNATURE;
	if (CRYPTO_memcmp(expected, given, TOKEN_SIGNATURE_BYTES) != 0)
		return TOKEN_BAD_SIGNATURE;
	return TOKEN_OK;
}

/* 1 and *out set if present, 0 if absent, -1 if not an integer. */
static int claim_integer(const json_t *payload, const char *name, int64_t *out)
{
	const json_t *value = json_object_get(payload, name);
	if (!value)
		return 0;
	if (!json_is_integer(value))
		return -1;
	*out = (int64_t)json_integer_value(value);
	return 1;
}

/* 1 and copied if a valid text claim, 0 if absent, -1 if mistyped or invalid. */
static int claim_text(const json_t *payload, const char *name, char *out, size_t out_size,
                      int allow_empty)
{
	const json_t *value = json_object_get(payload, name);
	if (!value)
		return 0;
	if (!json_is_string(value) || json_string_length(value) >= out_size)
		return -1;
	memcpy(out, json_string_value(value), json_string_length(value) + 1);
	return text_is_valid(out, out_size, allow_empty) ? 1 : -1;
}

static unsigned claim_roles(const json_t *payload)
{
	const json_t *role = json_object_get(payload, "role");
	if (json_is_string(role))
		return roles_parse_one(json_string_value(role));
	if (!json_is_array(role) || json_array_size(role) == 0)
		return 0;
	unsigned roles = 0;
	size_t index;
	const json_t *element;
	json_array_foreach(role, index, element)
	{
		unsigned bit =
		    json_is_string(element) ? roles_parse_one(json_string_value(element)) : 0;
		if (bit == 0)
			return 0;
		roles |= bit;
	}
	return roles;
}

static enum token_error check_audience(const json_t *payload, const char *audience)
{
	const json_t *aud = json_object_get(payload, "aud");
	if (!aud)
		return TOKEN_BAD_AUDIENCE;
	if (json_is_string(aud))
		return string_equals(aud, audience) ? TOKEN_OK : TOKEN_BAD_AUDIENCE;
	if (!json_is_array(aud))
		return TOKEN_BAD_CLAIMS;
	enum token_error result = TOKEN_BAD_AUDIENCE;
	size_t index;
	const json_t *element;
	json_array_foreach(aud, index, element)
	{
		if (!json_is_string(element))
			return TOKEN_BAD_CLAIMS;
		if (string_equals(element, audience))
			result = TOKEN_OK;
	}
	return result;
}

static enum token_error check_claims(const struct token_keyring *ring, const json_t *payload,
                                     int64_t now, struct token_claims *claims)
{
	int64_t leeway = ring->leeway > 0 ? ring->leeway : 0;
	int present = claim_integer(payload, "exp", &claims->expires_at);
	if (present != 1)
		return TOKEN_BAD_CLAIMS;
	if (now - leeway > claims->expires_at)
		return TOKEN_EXPIRED;
	if (claim_integer(payload, "iat", &claims->issued_at) != 1)
		return TOKEN_BAD_CLAIMS;
	present = claim_integer(payload, "nbf", &claims->not_before);
	if (present < 0)
		return TOKEN_BAD_CLAIMS;
	/* Without nbf a token is valid from its iat, and not before: one
	 * issued in the future (an iat in milliseconds, say) waits like one
	 * with that nbf instead of passing with claims that say otherwise. */
	if (present == 0)
		claims->not_before = claims->issued_at;
	if (now + leeway < claims->not_before)
		return TOKEN_NOT_YET_VALID;

	const json_t *iss = json_object_get(payload, "iss");
	if (iss && !json_is_string(iss))
		return TOKEN_BAD_CLAIMS;
	if (!string_equals(iss, ring->issuer))
		return TOKEN_BAD_ISSUER;
	enum token_error error = check_audience(payload, ring->audience);
	if (error != TOKEN_OK)
		return error;

	if (claim_text(payload, "sub", claims->subject, sizeof(claims->subject), 0) != 1)
		return TOKEN_BAD_CLAIMS;
	claims->roles = claim_roles(payload);
	if (claims->roles == 0)
		return TOKEN_BAD_CLAIMS;
	if (claim_text(payload, "room", claims->room, sizeof(claims->room), 1) < 0)
		return TOKEN_BAD_CLAIMS;
	if (claim_text(payload, "jti", claims->jti, sizeof(claims->jti), 0) != 1)
		return TOKEN_BAD_CLAIMS;
	return TOKEN_OK;
}

enum token_error token_verify(const struct token_keyring *ring, const char *token, int64_t now,
                              struct token_claims *claims)
{
	if (!ring || !token || !claims)
		return TOKEN_INTERNAL;
	memset(claims, 0, sizeof(*claims));
	size_t length = strnlen(token, TOKEN_MAX_LENGTH + 1);
	if (length > TOKEN_MAX_LENGTH)
		return TOKEN_TOO_LARGE;

	const char *first_dot = memchr(token, '.', length);
	const char *second_dot =
	    first_dot ? memchr(first_dot + 1, '.', length - (size_t)(first_dot + 1 - token)) : NULL;
	if (!second_dot || memchr(second_dot + 1, '.', length - (size_t)(second_dot + 1 - token)))
		return TOKEN_MALFORMED;
	const char *payload_text = first_dot + 1, *signature_text = second_dot + 1;
	size_t header_length = (size_t)(first_dot - token);
	size_t payload_length = (size_t)(second_dot - payload_text);
	size_t signature_length = length - (size_t)(signature_text - token);
	if (header_length == 0 || payload_length == 0 || signature_length == 0)
		return TOKEN_MALFORMED;

	unsigned char signature[TOKEN_DECODED_MAX];
	long signature_bytes = b64_decode(signature_text, signature_length, signature, 1);
	if (signature_bytes < 0)
		return TOKEN_MALFORMED;
	json_t *header = parse_segment(token, header_length);
	json_t *payload = parse_segment(payload_text, payload_length);
	enum token_error error = TOKEN_MALFORMED;
	const struct token_key *key = NULL;
	if (header && payload) {
		error = check_header(ring, header, &key);
		if (error == TOKEN_OK)
			error = check_signature(key, token, (size_t)(second_dot - token), signature,
			                        signature_bytes);
		if (error == TOKEN_OK)
			error = check_claims(ring, payload, now, claims);
	}
	json_decref(header);
	json_decref(payload);
	if (error != TOKEN_OK)
		memset(claims, 0, sizeof(*claims));
	return error;
}

const char *token_error_text(enum token_error error)
{
	switch (error) {
	case TOKEN_OK:
		return "ok";
	case TOKEN_MALFORMED:
		return "malformed token";
	case TOKEN_TOO_LARGE:
		return "token too large";
	case TOKEN_BAD_ALGORITHM:
		return "unsupported algorithm";
	case TOKEN_UNKNOWN_KEY:
		return "unknown signing key";
	case TOKEN_BAD_SIGNATURE:
		return "bad signature";
	case TOKEN_EXPIRED:
		return "token expired";
	case TOKEN_NOT_YET_VALID:
		return "token not yet valid";
	case TOKEN_BAD_ISSUER:
		return "wrong issuer";
	case TOKEN_BAD_AUDIENCE:
		return "wrong audience";
	case TOKEN_BAD_CLAIMS:
		return "missing or invalid claims";
	case TOKEN_INTERNAL:
		break;
	}
	return "internal error";
}
