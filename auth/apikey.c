/*
 * apikey.c: making and hashing API keys (see apikey.h).
 */
#include "auth/apikey.h"

#include "common/random.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#define APIKEY_RANDOM_BYTES 32

void apikey_hash(const char *key, char hash[STORE_APIKEY_HASH_MAX])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)key, strlen(key), digest);
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(hash + 2 * i, 3, "%02x", digest[i]);
	OPENSSL_cleanse(digest, sizeof(digest));
}

int apikey_generate(char key[APIKEY_MAX], char hash[STORE_APIKEY_HASH_MAX])
{
	memcpy(key, APIKEY_PREFIX, sizeof(APIKEY_PREFIX));
	if (random_token(key + strlen(APIKEY_PREFIX), APIKEY_RANDOM_BYTES) != 0)
		return -1;
	apikey_hash(key, hash);
	return 0;
}
