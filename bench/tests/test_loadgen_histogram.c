/*
 * test_loadgen_histogram.c: the latency percentiles the benchmark reports.
 * A wrong bucket formula would silently shift every published p50/p99, so the
 * tests pin exact answers for small values and the error bound for large ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bench/loadgen/histogram.h"

static struct bench_histogram *new_histogram(void)
{
	struct bench_histogram *h = malloc(sizeof(*h));
	assert_non_null(h);
	bench_histogram_init(h);
	return h;
}

static void test_empty_histogram_reports_zero(void **state)
{
	struct bench_histogram *h = new_histogram();
	assert_int_equal(bench_histogram_percentile(h, 50), 0);
	assert_int_equal(bench_histogram_percentile(h, 99), 0);
	free(h);
}

static void test_small_values_are_exact(void **state)
{
	struct bench_histogram *h = new_histogram();
	for (uint64_t v = 1; v <= 100; v++)
		bench_histogram_record(h, v);
	assert_int_equal(bench_histogram_percentile(h, 50), 50);
	assert_int_equal(bench_histogram_percentile(h, 99), 99);
	assert_int_equal(bench_histogram_percentile(h, 100), 100);
	assert_int_equal(bench_histogram_percentile(h, 1), 1);
	free(h);
}

static void test_large_values_within_two_percent(void **state)
{
	struct bench_histogram *h = new_histogram();
	/* 1 us .. 10 s, one sample each at geometric steps. */
	for (uint64_t v = 1000; v < 10000000000ull; v = v * 21 / 20) {
		bench_histogram_init(h);
		bench_histogram_record(h, 1);
		bench_histogram_record(h, v);
		bench_histogram_record(h, v * 1000);
		uint64_t p50 = bench_histogram_percentile(h, 50);
		double error = ((double)p50 - (double)v) / (double)v;
		assert_true(error < 0.02 && error > -0.02);
	}
	free(h);
}

static void test_p99_picks_the_tail(void **state)
{
	struct bench_histogram *h = new_histogram();
	for (int i = 0; i < 990; i++)
		bench_histogram_record(h, 50000); /* 50 us */
	for (int i = 0; i < 10; i++)
		bench_histogram_record(h, 5000000); /* 5 ms */
	uint64_t p99 = bench_histogram_percentile(h, 99);
	uint64_t p991 = bench_histogram_percentile(h, 99.1);
	assert_true(p99 > 49000 && p99 < 51000);
	assert_true(p991 > 4900000 && p991 < 5100000);
	free(h);
}

static void test_extremes_are_reported_exactly(void **state)
{
	struct bench_histogram *h = new_histogram();
	bench_histogram_record(h, 123457);
	assert_int_equal(bench_histogram_percentile(h, 50), 123457);
	assert_int_equal(h->min, 123457);
	assert_int_equal(h->max, 123457);
	free(h);
}

static void test_huge_values_are_clamped_not_lost(void **state)
{
	struct bench_histogram *h = new_histogram();
	bench_histogram_record(h, UINT64_MAX);
	assert_int_equal(h->count, 1);
	assert_true(bench_histogram_percentile(h, 100) > (1ull << 40));
	free(h);
}

static void test_merge_adds_samples(void **state)
{
	struct bench_histogram *a = new_histogram();
	struct bench_histogram *b = new_histogram();
	for (int i = 0; i < 50; i++)
		bench_histogram_record(a, 10);
	for (int i = 0; i < 50; i++)
		bench_histogram_record(b, 90);
	bench_histogram_merge(a, b);
	assert_int_equal(a->count, 100);
	assert_int_equal(a->min, 10);
	assert_int_equal(a->max, 90);
	assert_int_equal(bench_histogram_percentile(a, 50), 10);
	assert_int_equal(bench_histogram_percentile(a, 51), 90);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_histogram_reports_zero),
	    cmocka_unit_test(test_small_values_are_exact),
	    cmocka_unit_test(test_large_values_within_two_percent),
	    cmocka_unit_test(test_p99_picks_the_tail),
	    cmocka_unit_test(test_extremes_are_reported_exactly),
	    cmocka_unit_test(test_huge_values_are_clamped_not_lost),
	    cmocka_unit_test(test_merge_adds_samples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
