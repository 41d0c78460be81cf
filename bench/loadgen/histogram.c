/*
 * histogram.c: log-linear latency buckets (see histogram.h for the layout).
 *
 * Index arithmetic: a value v >= 128 has its highest set bit at position
 * msb >= 7; shifting it right by msb - 6 leaves a number in [64, 127], whose
 * low six bits pick the sub-bucket within that power of two.
 */
#include "bench/loadgen/histogram.h"

#include <string.h>

static unsigned bucket_of(uint64_t value)
{
	if (value < 128)
		return (unsigned)value;
	unsigned msb = 63u - (unsigned)__builtin_clzll(value);
	if (msb > BENCH_HISTOGRAM_MAX_BIT) {
		msb = BENCH_HISTOGRAM_MAX_BIT;
		value = (UINT64_C(1) << (msb + 1)) - 1;
	}
	unsigned shift = msb - BENCH_HISTOGRAM_SUB_BITS;
	unsigned sub = (unsigned)(value >> shift) - (1u << BENCH_HISTOGRAM_SUB_BITS);
	return 128u + (msb - 7u) * (1u << BENCH_HISTOGRAM_SUB_BITS) + sub;
}

static uint64_t bucket_midpoint(unsigned index)
{
	if (index < 128)
		return index;
	unsigned k = index - 128u;
	unsigned msb = 7u + k / (1u << BENCH_HISTOGRAM_SUB_BITS);
	uint64_t sub = (1u << BENCH_HISTOGRAM_SUB_BITS) + k % (1u << BENCH_HISTOGRAM_SUB_BITS);
	unsigned shift = msb - BENCH_HISTOGRAM_SUB_BITS;
	uint64_t low = sub << shift;
	return low + ((UINT64_C(1) << shift) - 1) / 2;
}

void bench_histogram_init(struct bench_histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void bench_histogram_record(struct bench_histogram *h, uint64_t value_ns)
{
	h->buckets[bucket_of(value_ns)]++;
	h->count++;
	if (value_ns < h->min)
		h->min = value_ns;
	if (value_ns > h->max)
		h->max = value_ns;
}

void bench_histogram_merge(struct bench_histogram *dst, const struct bench_histogram *src)
{
	for (unsigned i = 0; i < BENCH_HISTOGRAM_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t bench_histogram_percentile(const struct bench_histogram *h, double percentile)
{
	if (h->count == 0)
		return 0;
	/* The rank of the sample at this percentile, 1-based, rounded up. */
	double exact = percentile / 100.0 * (double)h->count;
	uint64_t rank = (uint64_t)exact;
	if ((double)rank < exact)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	uint64_t seen = 0;
	for (unsigned i = 0; i < BENCH_HISTOGRAM_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t value = bucket_midpoint(i);
			if (value < h->min)
				value = h->min;
			if (value > h->max)
				value = h->max;
			return value;
		}
	}
	return h->max;
}
