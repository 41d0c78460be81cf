/*
 * secret.h: where the JWT signing secret comes from.
 *
 * A secret configured in signaling.conf (or -k) wins; it must be at least 32
 * bytes, and it is the only key. Without one, a random 256-bit secret is
 * generated on first start and kept in the database (setting "jwt_secret",
 * hex), so restarts and icegatectl use the same one; after a rotation the one
 * before it ("jwt_secret_previous") still verifies tokens until they expire.
 * There is no built-in default secret.
 */
#ifndef ICEGATE_AUTH_SECRET_H
#define ICEGATE_AUTH_SECRET_H

#include "auth/token.h"
#include "config/config.h"
#include "db/store.h"

#include <stddef.h>

/* Fills ring (keys, issuer, audience, leeway) from cfg and store.
 * *generated is set to 1 when a new secret was created by this call.
 * Returns 0, or -1 with err filled. */
int secret_load_keyring(const struct config *cfg, struct store *store, struct token_keyring *ring,
                        int *generated, char *err, size_t err_size);

/*
 * Rotates the database's secret in one transaction: the current one becomes
 * the previous (or, with drop_previous, the previous is deleted so tokens it
 * signed stop verifying), 32 fresh random bytes become the current one, and
 * a STORE_SECRET_ROTATED event ("now" with drop_previous, else "") tells a
 * running daemon to reload. Refused when cfg configures jwt_secret, which
 * then is the only key. Returns 0, or -1 with err filled.
 */
int secret_rotate(const struct config *cfg, struct store *store, int drop_previous, char *err,
                  size_t err_size);

#endif
