/*
 * random.h: cryptographic randomness for secrets, token ids and peer ids,
 * drawn from OpenSSL's CSPRNG. Failure is reported, never papered over.
 */
#ifndef ICEGATE_COMMON_RANDOM_H
#define ICEGATE_COMMON_RANDOM_H

#include <stddef.h>

/* Fill buf with n random bytes. Returns 0, or -1 if the CSPRNG failed. */
int random_bytes(unsigned char *buf, size_t n);

/* Write 2*n lowercase hex characters of n random bytes, NUL-terminated,
 * into out (room for 2*n + 1). Returns 0 or -1. */
int random_hex(char *out, size_t n);

/* Write n random bytes as unpadded Base64url into out (room for
 * b64_encoded_length(n, 1) + 1). Returns 0 or -1. */
int random_token(char *out, size_t n);

#endif
