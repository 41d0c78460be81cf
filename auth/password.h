/*
 * password.h: argon2id password hashing (libargon2), with the parameters
 * OWASP recommends (19 MiB, 2 passes, 1 lane). Hashing costs tens of
 * milliseconds by design, so the daemon only calls these on a worker thread.
 */
#ifndef ICEGATE_AUTH_PASSWORD_H
#define ICEGATE_AUTH_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX   256
#define PASSWORD_MAX_LENGTH 1024 /* longer passwords are refused, not truncated */

/* Hashes password with a fresh salt into out (encoded PHC string).
 * Returns 0 or -1. */
int password_hash(const char *password, char *out, size_t out_size);

/* Returns 1 if password matches encoded, 0 if not, -1 on a malformed hash. */
int password_verify(const char *encoded, const char *password);

/* A valid hash of a random password, for verifying against when the user does
 * not exist, so that a miss costs as long as a wrong password. */
const char *password_dummy_hash(void);

#endif
