/*
 * result.c: initialising, merging and closing the report of worker results
 * (see result.h).
 */
#include "bench/loadgen/result.h"

#include <stdio.h>
#include <string.h>

void bench_result_init(struct bench_result *result)
{
	memset(result, 0, sizeof(*result));
	bench_histogram_init(&result->latency);
}

void bench_result_merge(struct bench_result *dst, const struct bench_result *src)
{
	dst->peers += src->peers;
	dst->authenticated += src->authenticated;
	dst->failed += src->failed;
	dst->joined += src->joined;
	dst->sent += src->sent;
	dst->received += src->received;
	dst->received_total += src->received_total;
	dst->rate_limited += src->rate_limited;
	dst->errors += src->errors;
	dst->lost += src->lost;
	dst->behind += src->behind;
	dst->cpu_seconds += src->cpu_seconds;
	if (src->window_seconds > dst->window_seconds)
		dst->window_seconds = src->window_seconds;
	if (dst->error[0] == '\0' && src->error[0] != '\0')
		memcpy(dst->error, src->error, sizeof(dst->error));
	bench_histogram_merge(&dst->latency, &src->latency);
}

int bench_result_print_status(int ok, const char *err)
{
	if (!ok)
		printf("error=%s\n", err[0] != '\0' ? err : "a worker failed");
	printf("status=%s\n", ok ? "ok" : "failed");
	return ok ? 0 : 1;
}
