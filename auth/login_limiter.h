/*
 * login_limiter.h: per-address limit on failed logins (fixed one-minute
 * windows). A client past the limit gets 429 with Retry-After until its window
 * ends; a success does not reset the count, so guessing cannot hide behind one
 * known password. Owned by the event loop thread.
 */
#ifndef ICEGATE_AUTH_LOGIN_LIMITER_H
#define ICEGATE_AUTH_LOGIN_LIMITER_H

#include "common/hashmap.h"

#include <stdint.h>

struct login_limiter {
	struct hmap by_address; /* address -> struct login_window (owned) */
	int failures_per_minute;
};

void login_limiter_init(struct login_limiter *limiter, int failures_per_minute);
void login_limiter_free(struct login_limiter *limiter);
/* Returns 0 if address may try now, else the seconds until it may. */
int login_limiter_check(struct login_limiter *limiter, const char *address, int64_t now);
void login_limiter_record_failure(struct login_limiter *limiter, const char *address, int64_t now);
/* Drops windows that ended; call periodically. */
void login_limiter_prune(struct login_limiter *limiter, int64_t now);

#endif
