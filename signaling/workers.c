/*
 * workers.c: a mutex-and-condition job queue feeding N threads; finished jobs
 * go to a second queue that an event (activated from the worker thread)
 * drains on the loop thread.
 */
#include "signaling/workers.h"

#include "common/log.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

struct job {
	struct job *next;
	workers_fn work, done;
	void *arg;
};

struct job_queue {
	struct job *head, *tail;
};

struct workers {
	struct event_base *base;   /* borrowed */
	struct event *done_event;  /* owned; drains finished */
	pthread_mutex_t lock;      /* guards both queues and stopping */
	pthread_cond_t available;  /* signalled when todo gains a job or stopping */
	struct job_queue todo;     /* submitted, not started */
	struct job_queue finished; /* worked, done not yet called */
	int pending;               /* submitted and not yet done; loop thread only */
	int stopping;
	int thread_count;
	pthread_t *threads; /* owned */
};

static void queue_push(struct job_queue *q, struct job *job)
{
	job->next = NULL;
	if (q->tail)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
}

static struct job *queue_pop(struct job_queue *q)
{
	struct job *job = q->head;
	if (job) {
		q->head = job->next;
		if (!q->head)
			q->tail = NULL;
	}
	return job;
}

static void *worker_main(void *arg)
{
	struct workers *pool = arg;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct job *job = queue_pop(&pool->todo);
		if (!job) {
			if (pool->stopping)
				break;
			pthread_cond_wait(&pool->available, &pool->lock);
			continue;
		}
		pthread_mutex_unlock(&pool->lock);
		job->work(job->arg);
		pthread_mutex_lock(&pool->lock);
		queue_push(&pool->finished, job);
		event_active(pool->done_event, EV_READ, 0);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static void run_done_callbacks(evutil_socket_t fd, short what, void *arg)
{
	struct workers *pool = arg;
	pthread_mutex_lock(&pool->lock);
	struct job_queue batch = pool->finished;
	pool->finished.head = pool->finished.tail = NULL;
	pthread_mutex_unlock(&pool->lock);

	struct job *job;
	while ((job = queue_pop(&batch))) {
		pool->pending--;
		job->done(job->arg);
		free(job);
	}
}

struct workers *workers_start(struct event_base *base, int threads)
{
	struct workers *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->base = base;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->available, NULL);
	pool->threads = calloc((size_t)threads, sizeof(*pool->threads));
	pool->done_event = event_new(base, -1, 0, run_done_callbacks, pool);
	if (!pool->threads || !pool->done_event) {
		workers_stop(pool);
		return NULL;
	}
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0) {
			log_error("workers: cannot start thread %d of %d", i + 1, threads);
			workers_stop(pool);
			return NULL;
		}
		pool->thread_count++;
	}
	return pool;
}

int workers_submit(struct workers *pool, workers_fn work, workers_fn done, void *arg)
{
	struct job *job = malloc(sizeof(*job));
	if (!job)
		return -1;
	job->work = work;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping) {
		pthread_mutex_unlock(&pool->lock);
		free(job);
		return -1;
	}
	queue_push(&pool->todo, job);
	pool->pending++;
	pthread_cond_signal(&pool->available);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

int workers_pending(const struct workers *pool)
{
	return pool->pending;
}

void workers_stop(struct workers *pool)
{
	if (!pool)
		return;
	if (pool->thread_count > 0) {
		pthread_mutex_lock(&pool->lock);
		pool->stopping = 1;
		pthread_cond_broadcast(&pool->available);
		pthread_mutex_unlock(&pool->lock);
		for (int i = 0; i < pool->thread_count; i++)
			pthread_join(pool->threads[i], NULL);
		run_done_callbacks(-1, 0, pool);
	}
	pthread_cond_destroy(&pool->available);
	pthread_mutex_destroy(&pool->lock);
	if (pool->done_event)
		event_free(pool->done_event);
	free(pool->threads);
	free(pool);
}
