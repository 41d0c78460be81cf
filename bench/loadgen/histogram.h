/*
 * histogram.h: latency histogram for the load generator.
 *
 * Relay latencies span tens of microseconds to seconds, and a run records
 * millions of them, so samples go into log-linear buckets instead of an array:
 * values under 128 ns are exact, larger ones land in one of 64 sub-buckets per
 * power of two (relative error under 1.6 %). The struct is plain data so a
 * worker process can send it to its parent through a pipe and the parent can
 * merge the workers' histograms.
 */
#ifndef ICEGATE_BENCH_HISTOGRAM_H
#define ICEGATE_BENCH_HISTOGRAM_H

#include <stdint.h>

#define BENCH_HISTOGRAM_SUB_BITS 6
#define BENCH_HISTOGRAM_MAX_BIT  40 /* values at or above 2^41 ns (~37 min) are clamped */
#define BENCH_HISTOGRAM_BUCKETS                                                                    \
	(128 + (BENCH_HISTOGRAM_MAX_BIT - 6) * (1 << BENCH_HISTOGRAM_SUB_BITS))

struct bench_histogram {
	uint64_t count; /* samples recorded */
	uint64_t min;   /* smallest sample in ns; UINT64_MAX while empty */
	uint64_t max;   /* largest sample in ns; 0 while empty */
	uint64_t buckets[BENCH_HISTOGRAM_BUCKETS];
};

void bench_histogram_init(struct bench_histogram *h);
void bench_histogram_record(struct bench_histogram *h, uint64_t value_ns);
/* Adds every sample of src to dst. */
void bench_histogram_merge(struct bench_histogram *dst, const struct bench_histogram *src);
/* The value at percentile (0 < percentile <= 100), in ns; 0 when empty.
 * The answer is the midpoint of the bucket holding that rank, clamped to
 * [min, max] so that exact extremes are reported exactly. */
uint64_t bench_histogram_percentile(const struct bench_histogram *h, double percentile);

#endif
