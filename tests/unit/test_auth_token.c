/*
 * test_auth_token.c: access token issuing and, above all, verification
 * against hostile tokens. The hostile ones are built by hand here (Base64url
 * and HMAC through OpenSSL) rather than through libjwt, so that each one is
 * exactly the attack it names: wrong algorithms, algorithm confusion with a
 * public key used as an HMAC secret, tampering, duplicate keys, bad encodings,
 * and every claim missing, mistyped or out of its time window.
 */
#include "auth/roles.h"
#include "auth/token.h"
#include "common/base64.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW    1700000000
#define LEEWAY 30
#define BIG    8192

static void fill_secret(unsigned char *secret, size_t length, unsigned char seed)
{
	for (size_t i = 0; i < length; i++)
		secret[i] = (unsigned char)(seed + 7 * i);
}

/* A ring with one 32-byte key made from seed. */
static void make_ring(struct token_keyring *ring, unsigned char seed)
{
	unsigned char secret[32];
	memset(ring, 0, sizeof(*ring));
	fill_secret(secret, sizeof(secret), seed);
	assert_int_equal(token_keyring_add(ring, secret, sizeof(secret)), 0);
	strcpy(ring->issuer, "icegate");
	strcpy(ring->audience, "icegate");
	ring->leeway = LEEWAY;
}

static void b64url(const void *data, size_t length, char *out)
{
	b64_encode(data, length, out, 1);
}

/* header.payload.signature with the given texts and HMAC digest; *out on the heap. */
static char *sign_texts(const char *header, const char *payload, const EVP_MD *md, const void *key,
                        size_t key_length)
{
	char *token = malloc(BIG);
	assert_non_null(token);
	b64url(header, strlen(header), token);
	size_t used = strlen(token);
	token[used++] = '.';
	b64url(payload, strlen(payload), token + used);
	used = strlen(token);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	assert_non_null(
	    HMAC(md, key, (int)key_length, (unsigned char *)token, used, mac, &mac_length));
	token[used++] = '.';
	b64url(mac, mac_length, token + used);
	return token;
}

static char *header_text(const char *alg, const char *kid)
{
	static const char fmt[] = "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}";
	char *text = malloc(BIG);
	assert_non_null(text);
	snprintf(text, BIG, fmt, alg, kid);
	return text;
}

static json_t *good_payload(void)
{
	json_t *payload = json_pack(
	    "{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "iss", "icegate", "aud", "icegate", "sub", "alice",
	    "role", "sender", "iat", (json_int_t)NOW, "nbf", (json_int_t)NOW, "exp",
	    (json_int_t)NOW + 600, "jti", "00112233445566778899aabbccddeeff");
	assert_non_null(payload);
	return payload;
}

/* Signs payload (consumed) correctly for the ring's first key. */
static char *sign_payload(const struct token_keyring *ring, json_t *payload)
{
	char *payload_json = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	char *header = header_text("HS256", ring->keys[0].kid);
	char *token = sign_texts(header, payload_json, EVP_sha256(), ring->keys[0].secret,
	                         ring->keys[0].secret_length);
	free(header);
	free(payload_json);
	return token;
}

static enum token_error verify_at(const struct token_keyring *ring, const char *token, int64_t now)
{
	struct token_claims claims;
	return token_verify(ring, token, now, &claims);
}

/* Verifies token (freed) at NOW. */
static enum token_error verify_and_free(const struct token_keyring *ring, char *token)
{
	enum token_error error = verify_at(ring, token, NOW);
	free(token);
	return error;
}

static enum token_error verify_payload(json_t *payload)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	return verify_and_free(&ring, sign_payload(&ring, payload));
}

static void test_round_trip(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	struct token_claims issued = {.roles = ROLE_ALL};
	strcpy(issued.subject, "alice");
	strcpy(issued.room, "lobby");
	char *token = NULL;
	assert_int_equal(token_issue(&ring, &issued, NOW, 600, &token), 0);
	assert_int_equal(strlen(issued.jti), 32);
	assert_int_equal(issued.expires_at, NOW + 600);

	struct token_claims got;
	assert_int_equal(token_verify(&ring, token, NOW + 10, &got), TOKEN_OK);
	assert_string_equal(got.subject, "alice");
	assert_int_equal(got.roles, ROLE_ALL);
	assert_string_equal(got.room, "lobby");
	assert_string_equal(got.jti, issued.jti);
	assert_int_equal(got.issued_at, NOW);
	assert_int_equal(got.not_before, NOW);
	assert_int_equal(got.expires_at, NOW + 600);
	free(token);
}

static void test_round_trip_single_role_no_room(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	struct token_claims issued = {.roles = ROLE_RECEIVER};
	strcpy(issued.subject, "guest:abcd");
	char *token = NULL;
	assert_int_equal(token_issue(&ring, &issued, NOW, 60, &token), 0);
	struct token_claims got;
	assert_int_equal(token_verify(&ring, token, NOW, &got), TOKEN_OK);
	assert_int_equal(got.roles, ROLE_RECEIVER);
	assert_string_equal(got.room, "");
	free(token);
}

static void test_issue_refuses_bad_claims(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = NULL;
	struct token_claims no_subject = {.roles = ROLE_SENDER};
	assert_int_equal(token_issue(&ring, &no_subject, NOW, 60, &token), -1);
	struct token_claims no_roles = {.roles = 0};
	strcpy(no_roles.subject, "alice");
	assert_int_equal(token_issue(&ring, &no_roles, NOW, 60, &token), -1);
	struct token_claims ok = {.roles = ROLE_SENDER};
	strcpy(ok.subject, "alice");
	assert_int_equal(token_issue(&ring, &ok, NOW, 0, &token), -1);
	assert_null(token);
}

static void test_keyring_kid_is_sha256_prefix(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	unsigned char secret[32], digest[SHA256_DIGEST_LENGTH];
	fill_secret(secret, sizeof(secret), 1);
	SHA256(secret, sizeof(secret), digest);
	char expected[TOKEN_KID_MAX];
	for (int i = 0; i < 8; i++)
		sprintf(expected + 2 * i, "%02x", digest[i]);
	assert_string_equal(ring.keys[0].kid, expected);
}

static void test_keyring_refuses_bad_keys(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	unsigned char secret[TOKEN_SECRET_MAX + 1];
	fill_secret(secret, sizeof(secret), 1);
	assert_int_equal(token_keyring_add(&ring, secret, 31), -1);
	assert_int_equal(token_keyring_add(&ring, secret, TOKEN_SECRET_MAX + 1), -1);
	assert_int_equal(token_keyring_add(&ring, secret, 32), -1); /* same key again */
	fill_secret(secret, sizeof(secret), 2);
	assert_int_equal(token_keyring_add(&ring, secret, TOKEN_SECRET_MAX), 0);
	fill_secret(secret, sizeof(secret), 3);
	assert_int_equal(token_keyring_add(&ring, secret, 32), -1); /* ring full */
	assert_int_equal(ring.count, 2);
}

static char *payload_json(void)
{
	json_t *payload = good_payload();
	char *text = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	return text;
}

/* Signs the good payload under header alg with digest md and the ring's key. */
static enum token_error verify_with_alg(const char *alg, const EVP_MD *md)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *header = header_text(alg, ring.keys[0].kid);
	char *payload = payload_json();
	char *token = sign_texts(header, payload, md, ring.keys[0].secret, 32);
	free(header);
	free(payload);
	return verify_and_free(&ring, token);
}

static void test_alg_none_with_signature(void **state)
{
	assert_int_equal(verify_with_alg("none", EVP_sha256()), TOKEN_BAD_ALGORITHM);
}

static void test_alg_none_without_signature(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *header = header_text("none", ring.keys[0].kid);
	char *payload = payload_json();
	char *token = sign_texts(header, payload, EVP_sha256(), "x", 1);
	*(strrchr(token, '.') + 1) = '\0'; /* "header.payload." as RFC 7519 unsecured JWTs */
	/* Refused as malformed before its header is even read. */
	assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
	free(header);
	free(payload);
}

static void test_alg_hs384(void **state)
{
	assert_int_equal(verify_with_alg("HS384", EVP_sha384()), TOKEN_BAD_ALGORITHM);
}

static void test_alg_hs512(void **state)
{
	assert_int_equal(verify_with_alg("HS512", EVP_sha512()), TOKEN_BAD_ALGORITHM);
}

static void test_alg_rs256(void **state)
{
	assert_int_equal(verify_with_alg("RS256", EVP_sha256()), TOKEN_BAD_ALGORITHM);
}

static void test_alg_missing_or_not_string(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char header[256];
	char *payload = payload_json();
	snprintf(header, sizeof(header), "{\"typ\":\"JWT\",\"kid\":\"%s\"}", ring.keys[0].kid);
	char *token = sign_texts(header, payload, EVP_sha256(), ring.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_BAD_ALGORITHM);
	snprintf(header, sizeof(header), "{\"alg\":256,\"kid\":\"%s\"}", ring.keys[0].kid);
	token = sign_texts(header, payload, EVP_sha256(), ring.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_BAD_ALGORITHM);
	snprintf(header, sizeof(header), "{\"alg\":\"hs256\",\"kid\":\"%s\"}", ring.keys[0].kid);
	token = sign_texts(header, payload, EVP_sha256(), ring.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_BAD_ALGORITHM);
	free(payload);
}

/* The PEM text of a fresh EC public key, as a server with RS/ES keys would publish. */
static char *public_key_pem(void)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	assert_non_null(pkey);
	BIO *bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
	char *data = NULL;
	long length = BIO_get_mem_data(bio, &data);
	char *pem = strndup(data, (size_t)length);
	assert_non_null(pem);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return pem;
}

static void test_alg_confusion_rs256_with_public_key(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *pem = public_key_pem();
	char *header = header_text("RS256", ring.keys[0].kid);
	char *payload = payload_json();
	char *token = sign_texts(header, payload, EVP_sha256(), pem, strlen(pem));
	assert_int_equal(verify_and_free(&ring, token), TOKEN_BAD_ALGORITHM);
	free(header);
	free(payload);
	free(pem);
}

static void test_alg_confusion_hs256_with_public_key(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *pem = public_key_pem();
	char *header = header_text("HS256", ring.keys[0].kid);
	char *payload = payload_json();
	char *token = sign_texts(header, payload, EVP_sha256(), pem, strlen(pem));
	assert_int_equal(verify_and_free(&ring, token), TOKEN_BAD_SIGNATURE);
	free(header);
	free(payload);
	free(pem);
}

static void test_wrong_key(void **state)
{
	struct token_keyring ring, other;
	make_ring(&ring, 1);
	make_ring(&other, 2);
	char *header = header_text("HS256", ring.keys[0].kid); /* claims our key */
	char *payload = payload_json();
	char *token = sign_texts(header, payload, EVP_sha256(), other.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_BAD_SIGNATURE);
	free(header);
	free(payload);
}

static void test_unknown_kid(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *header = header_text("HS256", "0000000000000000");
	char *payload = payload_json();
	char *token = sign_texts(header, payload, EVP_sha256(), ring.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_UNKNOWN_KEY);
	free(header);
	free(payload);
}

static void test_missing_kid(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *payload = payload_json();
	char *token = sign_texts("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, EVP_sha256(),
	                         ring.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_UNKNOWN_KEY);
	free(payload);
}

static void test_crit_header(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char header[256];
	snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"kid\":\"%s\",\"crit\":[\"b64\"]}",
	         ring.keys[0].kid);
	char *payload = payload_json();
	char *token = sign_texts(header, payload, EVP_sha256(), ring.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
	free(payload);
}

static void test_expired(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = sign_payload(&ring, good_payload()); /* exp = NOW + 600 */
	assert_int_equal(verify_at(&ring, token, NOW + 600 + LEEWAY + 1), TOKEN_EXPIRED);
	free(token);
}

static void test_expired_within_leeway(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = sign_payload(&ring, good_payload());
	assert_int_equal(verify_at(&ring, token, NOW + 600 + LEEWAY), TOKEN_OK);
	free(token);
}

static void test_nbf_in_future(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "nbf", json_integer(NOW + LEEWAY + 1));
	assert_int_equal(verify_payload(payload), TOKEN_NOT_YET_VALID);
}

static void test_nbf_within_leeway(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "nbf", json_integer(NOW + LEEWAY));
	assert_int_equal(verify_payload(payload), TOKEN_OK);
}

/* Found by fuzz_auth_token: without nbf, a token whose iat lies in the
 * future (milliseconds instead of seconds) was accepted at once. */
static void test_iat_in_future_without_nbf(void **state)
{
	json_t *payload = good_payload();
	json_object_del(payload, "nbf");
	json_object_set_new(payload, "iat", json_integer((json_int_t)NOW * 1000));
	assert_int_equal(verify_payload(payload), TOKEN_NOT_YET_VALID);
	payload = good_payload();
	json_object_del(payload, "nbf");
	json_object_set_new(payload, "iat", json_integer(NOW + LEEWAY));
	assert_int_equal(verify_payload(payload), TOKEN_OK);
}

static void test_nbf_not_integer(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "nbf", json_string("1700000000"));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_wrong_issuer(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "iss", json_string("someone-else"));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_ISSUER);
}

static void test_missing_issuer(void **state)
{
	json_t *payload = good_payload();
	json_object_del(payload, "iss");
	assert_int_equal(verify_payload(payload), TOKEN_BAD_ISSUER);
}

static void test_wrong_audience(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "aud", json_string("other-service"));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_AUDIENCE);
}

static void test_audience_array_containing_ours(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "aud", json_pack("[s,s]", "other-service", "icegate"));
	assert_int_equal(verify_payload(payload), TOKEN_OK);
}

static void test_audience_array_without_ours(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "aud", json_pack("[s]", "other-service"));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_AUDIENCE);
}

static void test_missing_sub(void **state)
{
	json_t *payload = good_payload();
	json_object_del(payload, "sub");
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_empty_sub(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "sub", json_string(""));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_sub_too_long(void **state)
{
	char subject[129];
	memset(subject, 'a', 128);
	subject[128] = '\0';
	json_t *payload = good_payload();
	json_object_set_new(payload, "sub", json_string(subject));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_missing_exp(void **state)
{
	json_t *payload = good_payload();
	json_object_del(payload, "exp");
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_exp_not_integer(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "exp", json_real(NOW + 600.0));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_missing_iat(void **state)
{
	json_t *payload = good_payload();
	json_object_del(payload, "iat");
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_missing_jti(void **state)
{
	json_t *payload = good_payload();
	json_object_del(payload, "jti");
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_role_invalid(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "role", json_string("admin"));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_role_array(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	json_t *payload = good_payload();
	json_object_set_new(payload, "role", json_pack("[s,s]", "receiver", "sender"));
	char *token = sign_payload(&ring, payload);
	struct token_claims claims;
	assert_int_equal(token_verify(&ring, token, NOW, &claims), TOKEN_OK);
	assert_int_equal(claims.roles, ROLE_ALL);
	free(token);
}

static void test_role_array_empty_or_mixed(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "role", json_array());
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
	payload = good_payload();
	json_object_set_new(payload, "role", json_pack("[s,s]", "sender", "admin"));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
	payload = good_payload();
	json_object_set_new(payload, "role", json_pack("[s,i]", "sender", 1));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_room_not_string(void **state)
{
	json_t *payload = good_payload();
	json_object_set_new(payload, "room", json_integer(7));
	assert_int_equal(verify_payload(payload), TOKEN_BAD_CLAIMS);
}

static void test_tampered_payload(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = sign_payload(&ring, good_payload());
	const char *signature = strrchr(token, '.');
	json_t *evil = good_payload();
	json_object_set_new(evil, "sub", json_string("admin"));
	char *forged = sign_payload(&ring, evil);
	strcpy(strrchr(forged, '.'), signature); /* keep the old signature */
	assert_int_equal(verify_and_free(&ring, forged), TOKEN_BAD_SIGNATURE);
	free(token);
}

static void test_oversized(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	json_t *payload = good_payload();
	char padding[TOKEN_MAX_LENGTH];
	memset(padding, 'x', sizeof(padding) - 1);
	padding[sizeof(padding) - 1] = '\0';
	json_object_set_new(payload, "pad", json_string(padding));
	char *token = sign_payload(&ring, payload);
	assert_true(strlen(token) > TOKEN_MAX_LENGTH);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_TOO_LARGE);
}

static void test_bad_base64_alphabet(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = sign_payload(&ring, good_payload());
	char *payload = strchr(token, '.') + 1;
	payload[0] = '+'; /* standard alphabet, not URL */
	assert_int_equal(verify_at(&ring, token, NOW), TOKEN_MALFORMED);
	payload[0] = '*';
	assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
}

static void test_bad_base64_padding(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = sign_payload(&ring, good_payload());
	char *padded = malloc(BIG);
	assert_non_null(padded);
	/* "header=.payload.signature": padding is not Base64url. */
	size_t header_length = (size_t)(strchr(token, '.') - token);
	snprintf(padded, BIG, "%.*s=%s", (int)header_length, token, token + header_length);
	assert_int_equal(verify_and_free(&ring, padded), TOKEN_MALFORMED);
	free(token);
}

static void test_bad_base64_in_signature(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = sign_payload(&ring, good_payload());
	char *padded = malloc(BIG);
	assert_non_null(padded);
	snprintf(padded, BIG, "%s=", token);
	assert_int_equal(verify_and_free(&ring, padded), TOKEN_MALFORMED);
	strrchr(token, '.')[1] = '/';
	assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
}

static void test_two_segments(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = sign_payload(&ring, good_payload());
	*strrchr(token, '.') = '\0';
	assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
}

static void test_four_segments(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *token = sign_payload(&ring, good_payload());
	strcat(token, ".AAAA");
	assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
}

static void test_empty_segment(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	assert_int_equal(verify_at(&ring, "", NOW), TOKEN_MALFORMED);
	assert_int_equal(verify_at(&ring, "..", NOW), TOKEN_MALFORMED);
	assert_int_equal(verify_at(&ring, "e30..e30", NOW), TOKEN_MALFORMED);
}

static void test_duplicate_key_in_payload(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *header = header_text("HS256", ring.keys[0].kid);
	char payload[512];
	snprintf(payload, sizeof(payload),
	         "{\"iss\":\"icegate\",\"aud\":\"icegate\",\"sub\":\"alice\",\"sub\":\"admin\","
	         "\"role\":\"sender\",\"iat\":%d,\"exp\":%d,\"jti\":\"ab\"}",
	         NOW, NOW + 600);
	char *token = sign_texts(header, payload, EVP_sha256(), ring.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
	free(header);
}

static void test_duplicate_key_in_header(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char header[256];
	snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"%s\"}",
	         ring.keys[0].kid);
	char *payload = payload_json();
	char *token = sign_texts(header, payload, EVP_sha256(), ring.keys[0].secret, 32);
	assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
	free(payload);
}

static void test_non_object_payload(void **state)
{
	struct token_keyring ring;
	make_ring(&ring, 1);
	char *header = header_text("HS256", ring.keys[0].kid);
	static const char *const payloads[] = {"[1,2]", "\"alice\"", "42", "null", "{\"a\":1} x"};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *token =
		    sign_texts(header, payloads[i], EVP_sha256(), ring.keys[0].secret, 32);
		assert_int_equal(verify_and_free(&ring, token), TOKEN_MALFORMED);
	}
	free(header);
}

static void test_second_key_verifies(void **state)
{
	struct token_keyring old_ring, ring;
	make_ring(&old_ring, 1);
	char *token = sign_payload(&old_ring, good_payload());
	/* The secret was rotated: the new one signs, the old one still verifies. */
	make_ring(&ring, 2);
	assert_int_equal(token_keyring_add(&ring, old_ring.keys[0].secret, 32), 0);
	assert_int_equal(verify_at(&ring, token, NOW), TOKEN_OK);
	free(token);

	struct token_claims claims = {.roles = ROLE_SENDER};
	strcpy(claims.subject, "bob");
	assert_int_equal(token_issue(&ring, &claims, NOW, 60, &token), 0);
	assert_int_equal(verify_at(&old_ring, token, NOW), TOKEN_UNKNOWN_KEY);
	assert_int_equal(verify_at(&ring, token, NOW), TOKEN_OK);
	free(token);
}

static void test_error_texts(void **state)
{
	assert_string_equal(token_error_text(TOKEN_EXPIRED), "token expired");
	assert_string_equal(token_error_text(TOKEN_BAD_SIGNATURE), "bad signature");
	for (int e = TOKEN_OK; e <= TOKEN_INTERNAL; e++)
		assert_true(strlen(token_error_text((enum token_error)e)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_round_trip_single_role_no_room),
	    cmocka_unit_test(test_issue_refuses_bad_claims),
	    cmocka_unit_test(test_keyring_kid_is_sha256_prefix),
	    cmocka_unit_test(test_keyring_refuses_bad_keys),
	    cmocka_unit_test(test_alg_none_with_signature),
	    cmocka_unit_test(test_alg_none_without_signature),
	    cmocka_unit_test(test_alg_hs384),
	    cmocka_unit_test(test_alg_hs512),
	    cmocka_unit_test(test_alg_rs256),
	    cmocka_unit_test(test_alg_missing_or_not_string),
	    cmocka_unit_test(test_alg_confusion_rs256_with_public_key),
	    cmocka_unit_test(test_alg_confusion_hs256_with_public_key),
	    cmocka_unit_test(test_wrong_key),
	    cmocka_unit_test(test_unknown_kid),
	    cmocka_unit_test(test_missing_kid),
	    cmocka_unit_test(test_crit_header),
	    cmocka_unit_test(test_expired),
	    cmocka_unit_test(test_expired_within_leeway),
	    cmocka_unit_test(test_nbf_in_future),
	    cmocka_unit_test(test_nbf_within_leeway),
	    cmocka_unit_test(test_iat_in_future_without_nbf),
	    cmocka_unit_test(test_nbf_not_integer),
	    cmocka_unit_test(test_wrong_issuer),
	    cmocka_unit_test(test_missing_issuer),
	    cmocka_unit_test(test_wrong_audience),
	    cmocka_unit_test(test_audience_array_containing_ours),
	    cmocka_unit_test(test_audience_array_without_ours),
	    cmocka_unit_test(test_missing_sub),
	    cmocka_unit_test(test_empty_sub),
	    cmocka_unit_test(test_sub_too_long),
	    cmocka_unit_test(test_missing_exp),
	    cmocka_unit_test(test_exp_not_integer),
	    cmocka_unit_test(test_missing_iat),
	    cmocka_unit_test(test_missing_jti),
	    cmocka_unit_test(test_role_invalid),
	    cmocka_unit_test(test_role_array),
	    cmocka_unit_test(test_role_array_empty_or_mixed),
	    cmocka_unit_test(test_room_not_string),
	    cmocka_unit_test(test_tampered_payload),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_bad_base64_alphabet),
	    cmocka_unit_test(test_bad_base64_padding),
	    cmocka_unit_test(test_bad_base64_in_signature),
	    cmocka_unit_test(test_two_segments),
	    cmocka_unit_test(test_four_segments),
	    cmocka_unit_test(test_empty_segment),
	    cmocka_unit_test(test_duplicate_key_in_payload),
	    cmocka_unit_test(test_duplicate_key_in_header),
	    cmocka_unit_test(test_non_object_payload),
	    cmocka_unit_test(test_second_key_verifies),
	    cmocka_unit_test(test_error_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
