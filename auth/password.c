/*
 * password.c: argon2id through libargon2's encoded (PHC string) interface, so
 * each stored hash carries its own salt and parameters and old hashes keep
 * verifying if the parameters are raised later.
 *
 * Passwords longer than PASSWORD_MAX_LENGTH are refused outright rather than
 * hashed: argon2 would accept them, but a multi-megabyte "password" is a cheap
 * way to make the server hash a lot of memory on every login attempt.
 */
#include "auth/password.h"

#include "common/random.h"

#include <argon2.h>

#include <string.h>

#define PASSWORD_TIME_COST  2
#define PASSWORD_MEMORY_KIB 19456
#define PASSWORD_LANES      1
#define PASSWORD_SALT_BYTES 16
#define PASSWORD_HASH_BYTES 32

/*
 * The argon2id hash, with the parameters above, of 32 random bytes that were
 * thrown away once it was computed: nothing verifies against it, yet checking
 * a password against it costs exactly what a real check costs. A constant
 * rather than one computed at first use, which would be hidden mutable state
 * shared between the worker threads.
 */
static const char dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$oy5xwPu5Lx8XXuze44Nw9Q$"
                                 "VIwc9jHWAl3PO/r/avMgapL927ZU1tZTZcAG9DHRLpE";

/* Length of password, or PASSWORD_MAX_LENGTH + 1 if it is longer. */
static size_t bounded_length(const char *password)
{
	return strnlen(password, PASSWORD_MAX_LENGTH + 1);
}

int password_hash(const char *password, char *out, size_t out_size)
{
	if (!password || !out || out_size == 0)
		return -1;
	out[0] = '\0';
	size_t length = bounded_length(password);
	if (length > PASSWORD_MAX_LENGTH)
		return -1;
	size_t needed = argon2_encodedlen(PASSWORD_TIME_COST, PASSWORD_MEMORY_KIB, PASSWORD_LANES,
	                                  PASSWORD_SALT_BYTES, PASSWORD_HASH_BYTES, Argon2_id);
	if (out_size < needed)
		return -1;
	unsigned char salt[PASSWORD_SALT_BYTES];
	if (random_bytes(salt, sizeof(salt)) != 0)
		return -1;
	int rc =
	    argon2id_hash_encoded(PASSWORD_TIME_COST, PASSWORD_MEMORY_KIB, PASSWORD_LANES, password,
	                          length, salt, sizeof(salt), PASSWORD_HASH_BYTES, out, out_size);
	if (rc != ARGON2_OK) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int password_verify(const char *encoded, const char *password)
{
	if (!encoded || !password)
		return -1;
	size_t length = bounded_length(password);
	if (length > PASSWORD_MAX_LENGTH)
		return 0; /* never hashed, so it cannot match */
	int rc = argon2id_verify(encoded, password, length);
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
}

const char *password_dummy_hash(void)
{
	return dummy_hash;
}
