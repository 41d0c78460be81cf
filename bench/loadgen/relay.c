/*
 * relay.c: the relay scenario as seen from the parent process: start the
 * workers, open the measurement window together, sample the daemon's CPU time
 * over the same window, and print the merged figures as key=value lines.
 *
 * The run counts as failed (exit status 1) when nothing was relayed, when a
 * connection failed or was dropped, or when the daemon answered with errors:
 * a benchmark of a daemon that refuses its load measures nothing.
 */
#include "bench/loadgen/options.h"
#include "bench/loadgen/procstat.h"
#include "bench/loadgen/workers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define COLLECT_SLACK_MS 15000 /* drain + close + exit, with room to spare */

static void print_relay(const struct bench_options *o, const struct bench_result *total,
                        const struct bench_result *results, double daemon_cpu)
{
	double window = total->window_seconds > 0 ? total->window_seconds : o->duration;
	double max_worker_cpu = 0;
	for (size_t i = 0; i < o->processes; i++) {
		double share = results[i].window_seconds > 0
		                   ? results[i].cpu_seconds / results[i].window_seconds
		                   : 0;
		if (share > max_worker_cpu)
			max_worker_cpu = share;
	}
	const struct bench_histogram *h = &total->latency;
	printf("scenario=relay\n");
	printf("kind=%s\n", o->kind == BENCH_RELAY_OFFER ? "offer" : "candidate");
	printf("processes=%zu\npairs=%zu\nwindow=%u\n", o->processes, o->pairs, o->window);
	printf("offered_rate=%.0f\n", o->rate);
	printf("window_seconds=%.3f\n", window);
	printf("sent=%llu\nreceived=%llu\n", (unsigned long long)total->sent,
	       (unsigned long long)total->received);
	printf("rate=%.0f\n", (double)total->received / window);
	printf("latency_p50_us=%.1f\n", (double)bench_histogram_percentile(h, 50) / 1e3);
	printf("latency_p90_us=%.1f\n", (double)bench_histogram_percentile(h, 90) / 1e3);
	printf("latency_p99_us=%.1f\n", (double)bench_histogram_percentile(h, 99) / 1e3);
	printf("latency_p999_us=%.1f\n", (double)bench_histogram_percentile(h, 99.9) / 1e3);
	printf("latency_max_us=%.1f\n", (double)h->max / 1e3 * (h->count > 0));
	printf("generator_cpu_percent=%.1f\n", 100.0 * total->cpu_seconds / window);
	printf("generator_cpu_percent_max_process=%.1f\n", 100.0 * max_worker_cpu);
	if (daemon_cpu >= 0)
		printf("daemon_cpu_percent=%.1f\n", 100.0 * daemon_cpu / window);
	/* Messages per second of daemon CPU: what one fully used core would
	 * relay, and steadier than the rate when other processes take CPU. */
	if (daemon_cpu > 0)
		printf("rate_per_daemon_core=%.0f\n", (double)total->received / daemon_cpu);
	printf("rate_limited=%llu\nerrors=%llu\nlost=%llu\nbehind=%llu\nfailed=%llu\n",
	       (unsigned long long)total->rate_limited, (unsigned long long)total->errors,
	       (unsigned long long)total->lost, (unsigned long long)total->behind,
	       (unsigned long long)total->failed);
}

int bench_relay_run(const struct bench_options *o)
{
	struct bench_workers set = {0};
	struct bench_result *results = calloc(o->processes, sizeof(*results));
	char err[320] = "";
	int ok = 1;
	double daemon_cpu = -1;
	if (results == NULL) {
		fprintf(stderr, "icegate-loadgen: out of memory\n");
		return 1;
	}
	int failed = bench_workers_launch(&set, o->processes, bench_relay_worker, o,
	                                  (int)(o->setup_timeout * 1000) + 5000, err, sizeof(err));
	if (failed < 0) {
		ok = 0;
		goto out;
	}
	if (bench_workers_go(&set) != 0 && failed == 0) {
		snprintf(err, sizeof(err), "a worker went away before the start");
		ok = 0;
	}
	if (failed == 0) {
		bench_sleep_seconds(o->warmup);
		double before = 0, after = 0;
		int measured =
		    o->daemon_pid > 0 && bench_proc_cpu_seconds(o->daemon_pid, &before) == 0;
		bench_sleep_seconds(o->duration);
		if (measured && bench_proc_cpu_seconds(o->daemon_pid, &after) == 0)
			daemon_cpu = after - before;
	}
	int timeout = (int)((o->warmup + o->duration) * 1000) + COLLECT_SLACK_MS;
	if (bench_workers_collect(&set, results, timeout, err, sizeof(err)) != 0)
		ok = 0;
	struct bench_result *total = malloc(sizeof(*total));
	if (total == NULL) {
		ok = 0;
		goto out;
	}
	bench_result_init(total);
	for (size_t i = 0; i < o->processes; i++)
		bench_result_merge(total, &results[i]);
	print_relay(o, total, results, daemon_cpu);
	if (total->received == 0 || total->failed > 0 || total->lost > 0 || total->errors > 0 ||
	    total->rate_limited > 0 || failed > 0)
		ok = 0;
	if (err[0] == '\0' && total->error[0] != '\0')
		snprintf(err, sizeof(err), "%s", total->error);
	if (err[0] == '\0' && total->received == 0)
		snprintf(err, sizeof(err), "no message was relayed");
	free(total);
out:
	if (!bench_workers_all_succeeded(&set))
		ok = 0;
	bench_workers_free(&set);
	free(results);
	return bench_result_print_status(ok, err);
}
