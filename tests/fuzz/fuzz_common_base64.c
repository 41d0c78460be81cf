/*
 * fuzz_common_base64.c: the strict Base64 and Base64url codecs that read
 * JWT segments and WebSocket keys.
 *
 * Two round trips, in both alphabets. Bytes encoded and decoded again come
 * back unchanged, with the documented encoded length and only alphabet
 * characters. Text the decoder accepts encodes back to exactly the same text:
 * a strict decoder admits one spelling per byte string, which is what stops
 * two different tokens from meaning the same thing. Buffers are allocated at
 * the sizes the header promises, so AddressSanitizer sees any write past them.
 */
#include "common/base64.h"
#include "tests/fuzz/support/fuzz_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_encode_round_trip(const uint8_t *data, size_t size, int url)
{
	size_t encoded_length = b64_encoded_length(size, url);
	char *encoded = malloc(encoded_length + 1);
	unsigned char *decoded = malloc(encoded_length * 3 / 4 + 3);
	FUZZ_CHECK(encoded && decoded);
	FUZZ_CHECK(b64_encode(data, size, encoded, url) == encoded_length);
	FUZZ_CHECK(encoded[encoded_length] == '\0');
	const char *alphabet =
	    url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	FUZZ_CHECK(strspn(encoded, alphabet) == encoded_length);
	if (!url)
		FUZZ_CHECK(encoded_length % 4 == 0);
	long n = b64_decode(encoded, encoded_length, decoded, url);
	FUZZ_CHECK(n == (long)size);
	FUZZ_CHECK(size == 0 || memcmp(decoded, data, size) == 0);
	free(encoded);
	free(decoded);
}

static void check_decode_round_trip(const uint8_t *data, size_t size, int url)
{
	unsigned char *decoded = malloc(size * 3 / 4 + 3);
	FUZZ_CHECK(decoded != NULL);
	long n = b64_decode((const char *)data, size, decoded, url);
	FUZZ_CHECK(n >= -1);
	if (n >= 0) {
		FUZZ_CHECK((size_t)n <= size * 3 / 4);
		char *encoded = malloc(b64_encoded_length((size_t)n, url) + 1);
		FUZZ_CHECK(encoded != NULL);
		size_t encoded_length = b64_encode(decoded, (size_t)n, encoded, url);
		FUZZ_CHECK(encoded_length == size);
		FUZZ_CHECK(size == 0 || memcmp(encoded, data, size) == 0);
		free(encoded);
	}
	free(decoded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int url = 0; url <= 1; url++) {
		check_encode_round_trip(data, size, url);
		check_decode_round_trip(data, size, url);
	}
	return 0;
}
