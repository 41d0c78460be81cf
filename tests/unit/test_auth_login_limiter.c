/*
 * test_auth_login_limiter.c: the failed-login limit per address. A client
 * past the limit must be told how long to wait, must be let in again when its
 * window ends, must not be affected by other addresses, and pruning must drop
 * only windows that ended.
 */
#include "auth/login_limiter.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#define T0 1700000000

static void fail_times(struct login_limiter *limiter, const char *address, int times, int64_t now)
{
	for (int i = 0; i < times; i++)
		login_limiter_record_failure(limiter, address, now);
}

static void test_unknown_address_may_try(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 3);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0), 0);
	login_limiter_free(&limiter);
}

static void test_below_limit_may_try(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 3);
	fail_times(&limiter, "192.0.2.1", 2, T0);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0), 0);
	login_limiter_free(&limiter);
}

static void test_limit_reached_gives_retry_after(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 3);
	fail_times(&limiter, "192.0.2.1", 3, T0);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0), 60);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0 + 45), 15);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0 + 59), 1);
	login_limiter_free(&limiter);
}

static void test_window_end_resets(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 3);
	fail_times(&limiter, "192.0.2.1", 3, T0);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0 + 60), 0);
	/* A new window starts with the next failure and counts from zero. */
	fail_times(&limiter, "192.0.2.1", 2, T0 + 61);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0 + 61), 0);
	login_limiter_record_failure(&limiter, "192.0.2.1", T0 + 62);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0 + 62), 59);
	login_limiter_free(&limiter);
}

static void test_window_is_fixed(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 3);
	login_limiter_record_failure(&limiter, "192.0.2.1", T0);
	/* Later failures do not push the window's end out. */
	fail_times(&limiter, "192.0.2.1", 2, T0 + 50);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0 + 50), 10);
	login_limiter_free(&limiter);
}

static void test_addresses_are_separate(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 2);
	fail_times(&limiter, "192.0.2.1", 2, T0);
	assert_true(login_limiter_check(&limiter, "192.0.2.1", T0) > 0);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.2", T0), 0);
	assert_int_equal(login_limiter_check(&limiter, "2001:db8::", T0), 0);
	login_limiter_free(&limiter);
}

static void test_clock_going_back_caps_wait(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 1);
	login_limiter_record_failure(&limiter, "192.0.2.1", T0);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0 - 3600), 60);
	login_limiter_free(&limiter);
}

static void test_zero_limit_disables(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 0);
	fail_times(&limiter, "192.0.2.1", 100, T0);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0), 0);
	assert_int_equal(limiter.by_address.count, 0);
	login_limiter_free(&limiter);
}

static void test_prune_drops_ended_windows_only(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 2);
	fail_times(&limiter, "192.0.2.1", 2, T0);
	fail_times(&limiter, "192.0.2.2", 2, T0 + 30);
	fail_times(&limiter, "192.0.2.3", 1, T0 + 10);
	assert_int_equal(limiter.by_address.count, 3);
	login_limiter_prune(&limiter, T0 + 70);
	assert_int_equal(limiter.by_address.count, 1);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.2", T0 + 70), 20);
	assert_int_equal(login_limiter_check(&limiter, "192.0.2.1", T0 + 70), 0);
	login_limiter_prune(&limiter, T0 + 90);
	assert_int_equal(limiter.by_address.count, 0);
	login_limiter_prune(&limiter, T0 + 91); /* empty map */
	login_limiter_free(&limiter);
}

static void test_many_addresses(void **state)
{
	struct login_limiter limiter;
	login_limiter_init(&limiter, 1);
	char address[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(address, sizeof(address), "198.51.%d.%d", i / 256, i % 256);
		login_limiter_record_failure(&limiter, address, T0 + i % 100);
	}
	assert_int_equal(limiter.by_address.count, 1000);
	login_limiter_prune(&limiter, T0 + 110);
	assert_int_equal(limiter.by_address.count, 490); /* started at T0+51..T0+99 */
	login_limiter_free(&limiter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown_address_may_try),
	    cmocka_unit_test(test_below_limit_may_try),
	    cmocka_unit_test(test_limit_reached_gives_retry_after),
	    cmocka_unit_test(test_window_end_resets),
	    cmocka_unit_test(test_window_is_fixed),
	    cmocka_unit_test(test_addresses_are_separate),
	    cmocka_unit_test(test_clock_going_back_caps_wait),
	    cmocka_unit_test(test_zero_limit_disables),
	    cmocka_unit_test(test_prune_drops_ended_windows_only),
	    cmocka_unit_test(test_many_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
