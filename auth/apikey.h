/*
 * apikey.h: API keys for programs that call the REST API (the TURN REST
 * credentials endpoint). A key is "igk_" and 32 random bytes in Base64url.
 * Only the SHA-256 of the whole key text (lowercase hex) is stored; the daemon
 * hashes a presented key the same way to look it up.
 */
#ifndef ICEGATE_AUTH_APIKEY_H
#define ICEGATE_AUTH_APIKEY_H

#include "db/store.h"

#include <stddef.h>

#define APIKEY_PREFIX "igk_"
#define APIKEY_MAX    64 /* prefix + 43 Base64url characters + NUL, with room */

/* Makes a fresh key and its hash. Returns 0 or -1. */
int apikey_generate(char key[APIKEY_MAX], char hash[STORE_APIKEY_HASH_MAX]);
/* The stored form of key. */
void apikey_hash(const char *key, char hash[STORE_APIKEY_HASH_MAX]);

#endif
