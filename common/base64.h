/*
 * base64.h: strict Base64 and Base64url codecs (RFC 4648).
 *
 * Decoders reject any character outside the alphabet, wrong padding and
 * non-canonical trailing bits, because their input comes from clients (JWT
 * segments) and a lenient decoder lets two spellings mean one token.
 */
#ifndef ICEGATE_COMMON_BASE64_H
#define ICEGATE_COMMON_BASE64_H

#include <stddef.h>

/* Encoded length of n bytes, without the terminating NUL. */
size_t b64_encoded_length(size_t n, int url);

/*
 * Encode n bytes into out (room for b64_encoded_length + 1). url != 0 selects
 * the URL alphabet without padding; url == 0 standard Base64 with padding.
 * Returns the length written, NUL-terminated.
 */
size_t b64_encode(const unsigned char *in, size_t n, char *out, int url);

/*
 * Decode len characters into out (room for len * 3 / 4 + 3 bytes).
 * Returns the decoded length, or -1 on malformed input.
 */
long b64_decode(const char *in, size_t len, unsigned char *out, int url);

#endif
