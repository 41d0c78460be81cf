/*
 * token.h: access tokens, HS256 JWTs issued through libjwt and verified here.
 *
 * libjwt 1.10 decodes and checks a signature with whatever algorithm the
 * token's header names and validates no claims, so verification here does the
 * rest itself: a size cap, strict Base64url, JSON without duplicate keys, the
 * header's "alg" pinned to HS256 (so "none", other HMACs and RS/ES tokens
 * signed with a public key as an HMAC secret are all refused), the "kid"
 * picking a key from the ring, then exp/nbf with leeway, iss, aud and the
 * presence and types of sub, role, iat, jti.
 */
#ifndef ICEGATE_AUTH_TOKEN_H
#define ICEGATE_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX_LENGTH 4096 /* larger tokens are refused before decoding */
#define TOKEN_KEYS_MAX   2    /* current and previous secret */
#define TOKEN_SECRET_MAX 64   /* bytes */
#define TOKEN_KID_MAX    17   /* 16 hex characters + NUL */

struct token_key {
	char kid[TOKEN_KID_MAX]; /* derived from the secret: first 8 bytes of its SHA-256, in hex */
	unsigned char secret[TOKEN_SECRET_MAX];
	size_t secret_length; /* 32..64 */
};

struct token_keyring {
	struct token_key keys[TOKEN_KEYS_MAX]; /* keys[0] signs; all verify */
	int count;                             /* 1..TOKEN_KEYS_MAX */
	char issuer[256];
	char audience[256];
	int leeway; /* seconds of clock skew accepted on exp and nbf */
};

struct token_claims {
	char subject[128]; /* "sub": a user name, or "guest:<hex>" */
	unsigned roles;    /* "role": a string or an array of strings; ROLE_* bits */
	char room[128];    /* "room": "" when the token allows any room */
	char jti[33];      /* "jti": random hex id */
	int64_t issued_at, not_before, expires_at;
};

enum token_error {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,     /* not three Base64url segments of JSON objects */
	TOKEN_TOO_LARGE,     /* over TOKEN_MAX_LENGTH */
	TOKEN_BAD_ALGORITHM, /* alg is not HS256 */
	TOKEN_UNKNOWN_KEY,   /* kid names no key in the ring */
	TOKEN_BAD_SIGNATURE,
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID,
	TOKEN_BAD_ISSUER,
	TOKEN_BAD_AUDIENCE,
	TOKEN_BAD_CLAIMS, /* missing or mistyped sub, role, iat, exp, jti */
	TOKEN_INTERNAL,
};

/* Adds a key made from secret (32..64 bytes) to the ring; the first added
 * signs. Returns 0 or -1. */
int token_keyring_add(struct token_keyring *ring, const unsigned char *secret, size_t length);

/*
 * Issues a token for claims, valid from now for ttl seconds. issued_at,
 * not_before, expires_at and jti are filled in by this call. *out is
 * malloc'ed and owned by the caller. Returns 0 or -1.
 */
int token_issue(const struct token_keyring *ring, struct token_claims *claims, int64_t now, int ttl,
                char **out);

/* Verifies token at time now; on TOKEN_OK fills claims. */
enum token_error token_verify(const struct token_keyring *ring, const char *token, int64_t now,
                              struct token_claims *claims);

/* A short reason for error_description, e.g. "token expired". */
const char *token_error_text(enum token_error error);

#endif
