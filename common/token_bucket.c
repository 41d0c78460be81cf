/*
 * token_bucket.c: refill on demand, so an idle bucket costs nothing.
 */
#include "common/token_bucket.h"

void token_bucket_init(struct token_bucket *bucket, double rate, double burst, int64_t now_ms)
{
	bucket->tokens = burst;
	bucket->rate = rate;
	bucket->burst = burst;
	bucket->updated_ms = now_ms;
}

int token_bucket_take(struct token_bucket *bucket, int64_t now_ms)
{
	if (now_ms > bucket->updated_ms) {
		bucket->tokens += (double)(now_ms - bucket->updated_ms) * bucket->rate / 1000.0;
		if (bucket->tokens > bucket->burst)
			bucket->tokens = bucket->burst;
		bucket->updated_ms = now_ms;
	}
	if (bucket->tokens < 1.0)
		return 0;
	bucket->tokens -= 1.0;
	return 1;
}
