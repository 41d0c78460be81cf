/*
 * workers.h: a small thread pool for work that must not block the event loop
 * (argon2id hashing, bulk database work).
 *
 * A job's `work` runs on a worker thread and must touch nothing the loop owns;
 * its `done` then runs on the loop thread, where it may. Requires
 * evthread_use_pthreads() before the event base was created.
 */
#ifndef ICEGATE_SIGNALING_WORKERS_H
#define ICEGATE_SIGNALING_WORKERS_H

struct event_base;
struct workers;

typedef void (*workers_fn)(void *arg);

/* Starts threads workers. Returns NULL on failure. */
struct workers *workers_start(struct event_base *base, int threads);
/* Queues a job. Returns 0, or -1 when out of memory or stopping. */
int workers_submit(struct workers *pool, workers_fn work, workers_fn done, void *arg);
/* Jobs queued or running and not yet done. */
int workers_pending(const struct workers *pool);
/* Finishes queued jobs, runs their done callbacks, joins the threads, frees. */
void workers_stop(struct workers *pool);

#endif
