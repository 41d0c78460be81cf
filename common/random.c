/*
 * random.c: thin wrappers over RAND_bytes that format what icegate needs.
 */
#include "common/random.h"

#include "common/base64.h"

#include <openssl/rand.h>

int random_bytes(unsigned char *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

int random_hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[64];
	if (n > sizeof(raw) || random_bytes(raw, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * n] = '\0';
	return 0;
}

int random_token(char *out, size_t n)
{
	unsigned char raw[64];
	if (n > sizeof(raw) || random_bytes(raw, n) != 0)
		return -1;
	b64_encode(raw, n, out, 1);
	return 0;
}
