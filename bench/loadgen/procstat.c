/*
 * procstat.c: /proc/PID/status and /proc/PID/stat readers (see procstat.h).
 */
#include "bench/loadgen/procstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int bench_proc_rss_kib(pid_t pid, long *kib)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return -1;
	char line[256];
	int rv = -1;
	while (fgets(line, sizeof(line), file) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			char *end;
			long value = strtol(line + 6, &end, 10);
			if (end != line + 6 && value >= 0) {
				*kib = value;
				rv = 0;
			}
			break;
		}
	}
	fclose(file);
	return rv;
}

int bench_proc_cpu_seconds(pid_t pid, double *seconds)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return -1;
	char line[1024];
	char *ok = fgets(line, sizeof(line), file);
	fclose(file);
	if (ok == NULL)
		return -1;
	/* The command name may contain spaces and parentheses: fields are
	 * counted from the last ')'. utime and stime are fields 14 and 15. */
	char *p = strrchr(line, ')');
	if (p == NULL)
		return -1;
	unsigned long long utime, stime;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
	           &stime) != 2)
		return -1;
	long ticks = sysconf(_SC_CLK_TCK);
	if (ticks <= 0)
		return -1;
	*seconds = (double)(utime + stime) / (double)ticks;
	return 0;
}

double bench_self_cpu_seconds(void)
{
	struct rusage usage;
	if (getrusage(RUSAGE_SELF, &usage) != 0)
		return 0.0;
	return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
	       (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}
