/*
 * login_limiter.c: failed-login counting per client address.
 *
 * A window opens at an address's first failure and lasts LOGIN_WINDOW_SECONDS;
 * within it the address may fail failures_per_minute times, then must wait for
 * the window to end. Windows are kept in a hash map keyed by the address text
 * the caller passes (for IPv6 the caller should pass the /64 prefix, or one host
 * gets 2^64 budgets). The map is capped at LOGIN_LIMITER_MAX_ADDRESSES so that
 * a flood of addresses cannot grow it without bound; when it is full of live
 * windows new addresses are not tracked, which is logged, because refusing
 * everyone would let the flood lock out every legitimate user.
 * A failures_per_minute of 0 or less disables the limit.
 */
#include "auth/login_limiter.h"

#include "common/log.h"

#include <limits.h>
#include <stdlib.h>

#define LOGIN_WINDOW_SECONDS        60
#define LOGIN_LIMITER_MAX_ADDRESSES 65536

struct login_window {
	int64_t started_at; /* time of the first failure in this window */
	int failures;       /* failures since started_at; saturates at INT_MAX */
};

void login_limiter_init(struct login_limiter *limiter, int failures_per_minute)
{
	hmap_init(&limiter->by_address);
	limiter->failures_per_minute = failures_per_minute;
}

static void free_window(const char *key, void *value, void *arg)
{
	free(value);
}

void login_limiter_free(struct login_limiter *limiter)
{
	hmap_foreach(&limiter->by_address, free_window, NULL);
	hmap_clear(&limiter->by_address);
}

static int window_ended(const struct login_window *window, int64_t now)
{
	return now >= window->started_at + LOGIN_WINDOW_SECONDS;
}

int login_limiter_check(struct login_limiter *limiter, const char *address, int64_t now)
{
	if (limiter->failures_per_minute <= 0)
		return 0;
	const struct login_window *window = hmap_get(&limiter->by_address, address);
	if (!window || window_ended(window, now) || window->failures < limiter->failures_per_minute)
		return 0;
	int64_t wait = window->started_at + LOGIN_WINDOW_SECONDS - now;
	/* A clock that stepped backwards must not make the wait longer than a window. */
	if (wait > LOGIN_WINDOW_SECONDS)
		wait = LOGIN_WINDOW_SECONDS;
	return (int)wait;
}

void login_limiter_record_failure(struct login_limiter *limiter, const char *address, int64_t now)
{
	if (limiter->failures_per_minute <= 0)
		return;
	struct login_window *window = hmap_get(&limiter->by_address, address);
	if (!window) {
		if (limiter->by_address.count >= LOGIN_LIMITER_MAX_ADDRESSES)
			login_limiter_prune(limiter, now);
		if (limiter->by_address.count >= LOGIN_LIMITER_MAX_ADDRESSES) {
			log_warn("login limiter full (%d addresses): failure not counted",
			         LOGIN_LIMITER_MAX_ADDRESSES);
			return;
		}
		window = malloc(sizeof(*window));
		if (!window || hmap_put(&limiter->by_address, address, window) != 0) {
			free(window);
			log_error("login limiter: out of memory, failure not counted");
			return;
		}
		window->started_at = now;
		window->failures = 0;
	} else if (window_ended(window, now)) {
		window->started_at = now;
		window->failures = 0;
	}
	if (window->failures < INT_MAX)
		window->failures++;
}

struct prune_list {
	const char **keys; /* borrowed from the map's entries */
	size_t count;
	int64_t now;
};

static void collect_ended(const char *key, void *value, void *arg)
{
	struct prune_list *list = arg;
	if (window_ended(value, list->now))
		list->keys[list->count++] = key;
}

void login_limiter_prune(struct login_limiter *limiter, int64_t now)
{
	size_t total = limiter->by_address.count;
	if (total == 0)
		return;
	struct prune_list list = {.keys = malloc(total * sizeof(*list.keys)), .now = now};
	if (!list.keys) {
		log_error("login limiter: out of memory while pruning");
		return;
	}
	hmap_foreach(&limiter->by_address, collect_ended, &list);
	/* Each key lives in its own entry, so removing one leaves the rest valid. */
	for (size_t i = 0; i < list.count; i++)
		free(hmap_remove(&limiter->by_address, list.keys[i]));
	free(list.keys);
}
