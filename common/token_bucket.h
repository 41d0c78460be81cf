/*
 * token_bucket.h: a token bucket for per-connection message rates. A bucket
 * holds at most `burst` tokens and refills `rate` tokens per second; each
 * message takes one. Pure arithmetic on a caller-supplied clock, so tests can
 * drive time.
 */
#ifndef ICEGATE_COMMON_TOKEN_BUCKET_H
#define ICEGATE_COMMON_TOKEN_BUCKET_H

#include <stdint.h>

struct token_bucket {
	double tokens;      /* 0..burst */
	double rate;        /* tokens per second */
	double burst;       /* capacity */
	int64_t updated_ms; /* clock reading of the last refill */
};

void token_bucket_init(struct token_bucket *bucket, double rate, double burst, int64_t now_ms);
/* Takes one token if there is one: returns 1, else 0. */
int token_bucket_take(struct token_bucket *bucket, int64_t now_ms);

#endif
