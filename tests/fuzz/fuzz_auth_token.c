/*
 * fuzz_auth_token.c: access token verification (token_verify), with a fixed
 * key ring, at a fixed time.
 *
 * A fuzzer cannot forge an HMAC, so raw tokens alone would never get past
 * the signature check. The input therefore comes in two forms:
 * - with a newline: "HEADER-JSON\nPAYLOAD-JSON". The target encodes both in
 *   Base64url and signs them with the ring's key, so the header checks and
 *   every claim check see fuzzed JSON behind a valid signature;
 * - without one: the token text itself, verified as sent; the same bytes
 *   are also used as a subject to issue a token (token_issue) and verify it.
 *
 * Whenever a token verifies, its claims must be what the contract says
 * (subject 1..127 bytes without control characters, known roles, an iss and
 * aud that match, exp and nbf within the leeway, header alg HS256 and our
 * kid, read here with a separate JSON parse), and it must stop verifying
 * when one signature character changes, under another key, or once expired.
 * Claims issued again from a verified token verify to the same subject,
 * roles and room. A refusal leaves the claims zeroed.
 */
#include "auth/roles.h"
#include "auth/token.h"
#include "common/base64.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_input.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW    INT64_C(1700000000)
#define LEEWAY 30
/* kid = first 8 bytes of SHA-256(SECRET) in hex: bc3f934e7286b110. */
#define SECRET       "fuzzing-secret-0123456789abcdefghij"
#define OTHER_SECRET "another-secret-0123456789abcdefghij"

static void ring_init(struct token_keyring *ring, const char *secret)
{
	memset(ring, 0, sizeof(*ring));
	FUZZ_CHECK(token_keyring_add(ring, (const unsigned char *)secret, strlen(secret)) == 0);
	strcpy(ring->issuer, "icegate");
	strcpy(ring->audience, "icegate");
	ring->leeway = LEEWAY;
}

/* Appends the Base64url form of size bytes to out (room assumed). */
static size_t append_b64url(char *out, const void *data, size_t size)
{
	return b64_encode(data, size, out, 1);
}

/* header.payload.signature, signed with secret. Caller frees. */
static char *sign(const uint8_t *header, size_t header_size, const uint8_t *payload,
                  size_t payload_size, const char *secret)
{
	size_t capacity = b64_encoded_length(header_size, 1) + b64_encoded_length(payload_size, 1) +
	                  b64_encoded_length(EVP_MAX_MD_SIZE, 1) + 3;
	char *token = malloc(capacity);
	FUZZ_CHECK(token != NULL);
	size_t length = append_b64url(token, header, header_size);
	token[length++] = '.';
	length += append_b64url(token + length, payload, payload_size);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	FUZZ_CHECK(HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)token,
	                length, mac, &mac_length) != NULL);
	token[length++] = '.';
	append_b64url(token + length, mac, mac_length);
	return token;
}

static int text_is_clean(const char *text, size_t min, size_t max)
{
	size_t length = strlen(text);
	if (length < min || length > max)
		return 0;
	for (const char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	return 1;
}

static int json_string_is(const json_t *value, const char *expected)
{
	return json_is_string(value) && strcmp(json_string_value(value), expected) == 0 &&
	       json_string_length(value) == strlen(expected);
}

/* Reads a segment of token (segment 0 or 1) as JSON, independently. */
static json_t *segment_json(const char *token, int segment)
{
	const char *start = token;
	for (int i = 0; i < segment; i++)
		start = strchr(start, '.') + 1;
	size_t length = strcspn(start, ".");
	unsigned char *decoded = malloc(length * 3 / 4 + 3);
	FUZZ_CHECK(decoded != NULL);
	long n = b64_decode(start, length, decoded, 1);
	FUZZ_CHECK(n > 0);
	json_t *value = json_loadb((const char *)decoded, (size_t)n, 0, NULL);
	free(decoded);
	FUZZ_CHECK(json_is_object(value));
	return value;
}

static void check_claims(const char *token, const struct token_claims *claims,
                         const struct token_keyring *ring)
{
	FUZZ_CHECK(text_is_clean(claims->subject, 1, 127));
	FUZZ_CHECK(text_is_clean(claims->room, 0, 127));
	FUZZ_CHECK(text_is_clean(claims->jti, 1, 32));
	FUZZ_CHECK(claims->roles != 0 && (claims->roles & ~(unsigned)ROLE_ALL) == 0);
	FUZZ_CHECK(claims->expires_at >= NOW - LEEWAY);
	FUZZ_CHECK(claims->not_before <= NOW + LEEWAY);

	json_t *header = segment_json(token, 0), *payload = segment_json(token, 1);
	FUZZ_CHECK(json_string_is(json_object_get(header, "alg"), "HS256"));
	FUZZ_CHECK(json_string_is(json_object_get(header, "kid"), ring->keys[0].kid));
	FUZZ_CHECK(json_string_is(json_object_get(payload, "iss"), "icegate"));
	json_t *aud = json_object_get(payload, "aud");
	int audience_found = json_string_is(aud, "icegate");
	size_t index;
	json_t *element;
	json_array_foreach(aud, index, element) audience_found |=
	    json_string_is(element, "icegate");
	FUZZ_CHECK(audience_found);
	FUZZ_CHECK(json_string_is(json_object_get(payload, "sub"), claims->subject));
	json_decref(header);
	json_decref(payload);
}

/* What must hold of a token that verified. */
static void check_verified(const char *token, const struct token_claims *claims,
                           const struct token_keyring *ring)
{
	check_claims(token, claims, ring);
	struct token_claims other;

	/* One character of the signature changed. */
	char *tampered = strdup(token);
	FUZZ_CHECK(tampered != NULL);
	char *last = tampered + strlen(tampered) - 1;
	*last = *last == 'A' ? 'B' : 'A';
	FUZZ_CHECK(token_verify(ring, tampered, NOW, &other) != TOKEN_OK);
	free(tampered);

	/* A ring without the signing key. */
	struct token_keyring stranger;
	ring_init(&stranger, OTHER_SECRET);
	FUZZ_CHECK(token_verify(&stranger, token, NOW, &other) == TOKEN_UNKNOWN_KEY);

	/* Past exp and the leeway. */
	if (claims->expires_at < INT64_MAX - LEEWAY - 1)
		FUZZ_CHECK(token_verify(ring, token, claims->expires_at + LEEWAY + 1, &other) ==
		           TOKEN_EXPIRED);

	/* Issued again from its claims, it verifies to the same grant. */
	struct token_claims grant = *claims;
	char *reissued = NULL;
	FUZZ_CHECK(token_issue(ring, &grant, NOW, 600, &reissued) == 0);
	FUZZ_CHECK(token_verify(ring, reissued, NOW, &other) == TOKEN_OK);
	FUZZ_CHECK(strcmp(other.subject, claims->subject) == 0);
	FUZZ_CHECK(strcmp(other.room, claims->room) == 0);
	FUZZ_CHECK(other.roles == claims->roles);
	free(reissued);
}

static void verify_and_check(const char *token, const struct token_keyring *ring)
{
	struct token_claims claims;
	memset(&claims, 0x55, sizeof(claims));
	enum token_error result = token_verify(ring, token, NOW, &claims);
	FUZZ_CHECK(result >= TOKEN_OK && result <= TOKEN_INTERNAL);
	FUZZ_CHECK(result != TOKEN_INTERNAL);
	FUZZ_CHECK(token_error_text(result)[0] != '\0');
	if (result == TOKEN_OK) {
		check_verified(token, &claims, ring);
	} else {
		struct token_claims zero;
		memset(&zero, 0, sizeof(zero));
		FUZZ_CHECK(memcmp(&claims, &zero, sizeof(zero)) == 0);
	}
}

/* Issues a token for subject (and room, roles from a byte) and verifies it. */
static void issue_and_verify(const char *subject, uint8_t roles_choice,
                             const struct token_keyring *ring)
{
	struct token_claims claims;
	memset(&claims, 0, sizeof(claims));
	if (strlen(subject) >= sizeof(claims.subject))
		return;
	strcpy(claims.subject, subject);
	if (roles_choice & 4)
		strcpy(claims.room, subject);
	claims.roles = roles_choice & 3;
	char *token = NULL;
	if (token_issue(ring, &claims, NOW, 600, &token) != 0) {
		FUZZ_CHECK(token == NULL);
		return;
	}
	FUZZ_CHECK(claims.roles != 0 && text_is_clean(subject, 1, 127));
	struct token_claims verified;
	FUZZ_CHECK(token_verify(ring, token, NOW, &verified) == TOKEN_OK);
	FUZZ_CHECK(strcmp(verified.subject, subject) == 0);
	FUZZ_CHECK(strcmp(verified.room, claims.room) == 0);
	FUZZ_CHECK(verified.roles == claims.roles);
	FUZZ_CHECK(strcmp(verified.jti, claims.jti) == 0);
	free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_keyring ring;
	ring_init(&ring, SECRET);
	size_t header_size, payload_size;
	const uint8_t *payload;
	if (fuzz_split(data, size, '\n', &header_size, &payload, &payload_size)) {
		char *token = sign(data, header_size, payload, payload_size, SECRET);
		verify_and_check(token, &ring);
		free(token);
	} else {
		char *token = fuzz_copy_string(data, size);
		verify_and_check(token, &ring);
		issue_and_verify(token, size > 0 ? data[size - 1] : 0, &ring);
		free(token);
	}
	return 0;
}
