/*
 * metrics_process.c: what the process costs, read at scrape time: memory
 * from /proc/self/statm, open descriptors by listing /proc/self/fd, the
 * descriptor limit and CPU time from the kernel's own accounting.
 */
#include "metrics/metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Sizes in /proc/self/statm are in pages. */
static int read_memory(struct metrics_process *out)
{
	FILE *statm = fopen("/proc/self/statm", "r");
	if (!statm)
		return -1;
	unsigned long long size_pages = 0, resident_pages = 0;
	int fields = fscanf(statm, "%llu %llu", &size_pages, &resident_pages);
	fclose(statm);
	long page_size = sysconf(_SC_PAGESIZE);
	if (fields != 2 || page_size <= 0)
		return -1;
	out->virtual_bytes = size_pages * (uint64_t)page_size;
	out->resident_bytes = resident_pages * (uint64_t)page_size;
	return 0;
}

static int count_open_fds(uint64_t *count)
{
	DIR *listing = opendir("/proc/self/fd");
	if (!listing)
		return -1;
	uint64_t entries = 0;
	struct dirent *entry;
	while ((entry = readdir(listing)) != NULL)
		if (entry->d_name[0] != '.')
			entries++;
	closedir(listing);
	/* The listing itself held one descriptor while it was read. */
	*count = entries > 0 ? entries - 1 : 0;
	return 0;
}

int metrics_process_read(struct metrics_process *out)
{
	memset(out, 0, sizeof(*out));
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
		out->max_fds = limit.rlim_cur == RLIM_INFINITY ? 0 : (uint64_t)limit.rlim_cur;
	struct rusage usage;
	if (getrusage(RUSAGE_SELF, &usage) == 0)
		out->cpu_seconds = (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
		                   (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
	if (read_memory(out) != 0 || count_open_fds(&out->open_fds) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
