/*
 * idle.c: the idle-memory scenario as seen from the parent process.
 *
 * The daemon's resident memory is read before any worker connects and again
 * once every connection is authenticated and has sat idle for a settling
 * period (so that buffers freed after the handshake are back with the
 * allocator); the difference divided by the number of connections is the
 * memory one idle authenticated connection costs. It includes everything
 * the daemon keeps per connection: socket buffers are kernel memory and are
 * not in the RSS, which is the figure an operator sizes a host by.
 */
#include "bench/loadgen/options.h"
#include "bench/loadgen/procstat.h"
#include "bench/loadgen/workers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLLECT_TIMEOUT_MS 20000 /* closing every connection, with room to spare */

int bench_idle_run(const struct bench_options *o)
{
	struct bench_workers set = {0};
	struct bench_result *results = calloc(o->processes, sizeof(*results));
	char err[320] = "";
	int ok = 1;
	long rss_before = -1, rss_after = -1;
	if (results == NULL) {
		fprintf(stderr, "icegate-loadgen: out of memory\n");
		return 1;
	}
	if (o->daemon_pid > 0 && bench_proc_rss_kib(o->daemon_pid, &rss_before) != 0) {
		snprintf(err, sizeof(err), "cannot read the daemon's memory from /proc");
		ok = 0;
		goto out;
	}
	int failed = bench_workers_launch(&set, o->processes, bench_idle_worker, o,
	                                  (int)(o->setup_timeout * 1000) + 5000, err, sizeof(err));
	if (failed < 0) {
		ok = 0;
		goto out;
	}
	if (failed == 0) {
		bench_sleep_seconds(o->settle);
		if (o->daemon_pid > 0 && bench_proc_rss_kib(o->daemon_pid, &rss_after) != 0) {
			snprintf(err, sizeof(err),
			         "the daemon went away while connections were idle");
			ok = 0;
		}
	}
	bench_workers_go(&set); /* failed workers have already quit */
	if (bench_workers_collect(&set, results, COLLECT_TIMEOUT_MS, err, sizeof(err)) != 0)
		ok = 0;
	struct bench_result total;
	bench_result_init(&total);
	for (size_t i = 0; i < o->processes; i++)
		bench_result_merge(&total, &results[i]);
	long max_worker_rss = 0;
	for (size_t i = 0; i < set.count; i++)
		if (set.workers[i].usage.ru_maxrss > max_worker_rss)
			max_worker_rss = set.workers[i].usage.ru_maxrss;
	printf("scenario=idle\n");
	printf("processes=%zu\nconnections=%zu\n", o->processes, o->connections);
	printf("authenticated=%llu\nfailed=%llu\nlost=%llu\nerrors=%llu\n",
	       (unsigned long long)total.authenticated, (unsigned long long)total.failed,
	       (unsigned long long)total.lost, (unsigned long long)total.errors);
	if (rss_before >= 0 && rss_after >= 0) {
		printf("daemon_rss_before_kib=%ld\ndaemon_rss_after_kib=%ld\n", rss_before,
		       rss_after);
		if (total.authenticated > 0)
			printf("rss_per_connection_bytes=%.0f\n", (double)(rss_after - rss_before) *
			                                              1024.0 /
			                                              (double)total.authenticated);
	}
	printf("generator_max_rss_kib=%ld\n", max_worker_rss);
	if (failed > 0 || total.failed > 0 || total.lost > 0 || total.errors > 0 ||
	    total.authenticated < o->connections)
		ok = 0;
	if (err[0] == '\0' && total.error[0] != '\0')
		snprintf(err, sizeof(err), "%s", total.error);
out:
	if (set.count > 0 && !bench_workers_all_succeeded(&set))
		ok = 0;
	bench_workers_free(&set);
	free(results);
	return bench_result_print_status(ok, err);
}
