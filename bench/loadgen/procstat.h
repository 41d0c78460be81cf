/*
 * procstat.h: what the generator reads about the daemon from /proc: its
 * resident memory (for the per-connection figure) and its CPU time (to show
 * how much of a core the relay rate cost).
 */
#ifndef ICEGATE_BENCH_PROCSTAT_H
#define ICEGATE_BENCH_PROCSTAT_H

#include <sys/types.h>

/* VmRSS of pid in KiB. Returns 0, or -1 if the process or field is missing. */
int bench_proc_rss_kib(pid_t pid, long *kib);

/* User plus system CPU time of pid (all threads), in seconds. Returns 0 or -1. */
int bench_proc_cpu_seconds(pid_t pid, double *seconds);

/* This process's own user plus system CPU time, in seconds. */
double bench_self_cpu_seconds(void);

#endif
