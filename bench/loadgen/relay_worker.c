/*
 * relay_worker.c: one worker process of the relay scenario.
 *
 * The worker opens its share of peer pairs, puts each pair in a room of its
 * own, and once the parent says go, makes every peer relay to its partner:
 * as fast as the daemon returns messages (at most `window` in flight per
 * sender: a closed loop, so throughput is whatever the daemon sustains), or at
 * a fixed total rate for the latency run (an open loop, paced by a 1 ms
 * timer). Only messages received inside the measurement window count, and
 * the window opens after a warm-up so connection setup and cold caches do not
 * dilute the rate.
 */
#include "bench/loadgen/fleet.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/procstat.h"
#include "bench/loadgen/worker_loop.h"
#include "bench/loadgen/workers.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PACE_TICK_US  200 /* fine pacing: bursts add queueing latency */
#define DRAIN_SECONDS 3.0 /* in-flight messages get this long to arrive */
#define CLOSE_SECONDS 3.0 /* the closing handshakes get this long */

enum relay_phase {
	PHASE_SETUP,   /* connecting, authenticating, joining */
	PHASE_READY,   /* told the parent; waiting for go */
	PHASE_WARMUP,  /* sending, not counting */
	PHASE_MEASURE, /* sending and counting */
	PHASE_DRAIN,   /* not sending; waiting for what is in flight */
	PHASE_CLOSING, /* close handshakes under way */
	PHASE_DONE,
};

struct relay_worker {
	const struct bench_options *options; /* borrowed */
	struct bench_worker_loop loop;
	struct bench_fleet fleet; /* peers 2k and 2k+1 are partners */
	uint32_t *outstanding;    /* owned; per peer: sent, not yet received by the partner */
	uint64_t total_outstanding;
	enum relay_phase phase;
	struct event *pace_timer; /* owned; paced mode only */
	double worker_rate;       /* messages/s this worker offers; 0 = saturate */
	uint64_t pace_start_ns;
	uint64_t pace_issued; /* messages due so far, sent or skipped */
	size_t pace_cursor;   /* next peer to try */
	size_t joined;
	double cpu_at_window_start;
	uint64_t window_start_ns;
	struct bench_result result;
};

static void finish(struct relay_worker *w)
{
	w->phase = PHASE_DONE;
	w->result.authenticated = w->fleet.authenticated;
	w->result.failed = w->fleet.failed;
	w->result.joined = w->joined;
	bench_worker_loop_finish(&w->loop, &w->result);
}

static void fail_setup(struct relay_worker *w, const char *why)
{
	if (w->phase != PHASE_SETUP)
		return;
	if (w->fleet.first_error[0] != '\0')
		snprintf(w->result.error, sizeof(w->result.error), "%s; %s", why,
		         w->fleet.first_error);
	else
		snprintf(w->result.error, sizeof(w->result.error), "%s", why);
	bench_worker_loop_ready(&w->loop, 'F');
	finish(w);
}

static void begin_closing(struct relay_worker *w)
{
	w->phase = PHASE_CLOSING;
	bench_worker_loop_set_deadline(&w->loop, CLOSE_SECONDS);
	bench_fleet_close_all(&w->fleet);
	if (w->fleet.ended == w->fleet.count)
		finish(w);
}

static int sending(const struct relay_worker *w)
{
	return w->phase == PHASE_WARMUP || w->phase == PHASE_MEASURE;
}

static int send_one(struct relay_worker *w, size_t sender)
{
	struct bench_peer *from = &w->fleet.peers[sender];
	const struct bench_peer *to = &w->fleet.peers[sender ^ 1];
	if (bench_peer_relay(from, to->id, w->options->kind, bench_now_ns()) != 0)
		return -1;
	w->outstanding[sender]++;
	w->total_outstanding++;
	if (w->phase == PHASE_MEASURE)
		w->result.sent++;
	return 0;
}

static void fill_window(struct relay_worker *w, size_t sender)
{
	while (sending(w) && w->outstanding[sender] < w->options->window)
		if (send_one(w, sender) != 0)
			return;
}

static void on_state(struct bench_peer *peer)
{
	struct relay_worker *w = bench_fleet_owner_of(peer);
	if (peer->state == BENCH_PEER_AUTHENTICATED) {
		if (bench_peer_join(peer) != 0)
			fail_setup(w, "cannot send join");
	} else if (peer->state == BENCH_PEER_JOINED) {
		w->joined++;
		if (w->phase == PHASE_SETUP && w->joined == w->fleet.count) {
			w->phase = PHASE_READY;
			bench_worker_loop_clear_deadline(&w->loop);
			bench_worker_loop_ready(&w->loop, 'R');
		}
	} else if (peer->state == BENCH_PEER_ENDED) {
		if (w->phase == PHASE_SETUP) {
			fail_setup(w, "a connection ended during setup");
		} else if (w->phase == PHASE_CLOSING) {
			if (w->fleet.ended == w->fleet.count)
				finish(w);
		} else if (w->phase != PHASE_DONE) {
			w->result.lost++;
			if (w->result.error[0] == '\0')
				snprintf(w->result.error, sizeof(w->result.error),
				         "connection %zu ended under load: %s (close code %d)",
				         peer->index, peer->end_reason, peer->close_code);
		}
	}
}

static void on_relayed(struct bench_peer *peer, uint64_t sent_ns)
{
	struct relay_worker *w = bench_fleet_owner_of(peer);
	uint64_t now = bench_now_ns();
	size_t sender = peer->index ^ 1;
	if (w->outstanding[sender] > 0) {
		w->outstanding[sender]--;
		w->total_outstanding--;
	}
	w->result.received_total++;
	if (w->phase == PHASE_MEASURE) {
		w->result.received++;
		bench_histogram_record(&w->result.latency, now > sent_ns ? now - sent_ns : 0);
	}
	if (sending(w)) {
		if (w->worker_rate == 0) /* closed loop: each arrival frees a slot */
			fill_window(w, sender);
	} else if (w->phase == PHASE_DRAIN && w->total_outstanding == 0) {
		begin_closing(w);
	}
}

static void on_error(struct bench_peer *peer, const char *code)
{
	struct relay_worker *w = bench_fleet_owner_of(peer);
	if (strcmp(code, "rate_limited") == 0)
		w->result.rate_limited++;
	else
		w->result.errors++;
	if (w->result.error[0] == '\0')
		snprintf(w->result.error, sizeof(w->result.error), "daemon replied error %s", code);
	if (w->phase == PHASE_SETUP) {
		fail_setup(w, "the daemon refused a join");
		return;
	}
	/* The refused message was dropped: it no longer counts as in flight. */
	if (w->outstanding[peer->index] > 0) {
		w->outstanding[peer->index]--;
		w->total_outstanding--;
	}
}

static const struct bench_peer_events relay_events = {
    .on_state = on_state,
    .on_relayed = on_relayed,
    .on_error = on_error,
};

static void pace_tick(evutil_socket_t fd, short what, void *arg)
{
	struct relay_worker *w = arg;
	if (!sending(w))
		return;
	double elapsed = (double)(bench_now_ns() - w->pace_start_ns) / 1e9;
	uint64_t target = (uint64_t)(w->worker_rate * elapsed);
	if (target <= w->pace_issued)
		return;
	uint64_t due = target - w->pace_issued;
	/* After a stall, do not fire a burst bigger than 20 ms of traffic. */
	uint64_t cap = (uint64_t)(w->worker_rate / 50.0) + 1;
	if (due > cap) {
		w->result.behind += due - cap;
		w->pace_issued += due - cap;
		due = cap;
	}
	size_t peers = w->fleet.count;
	for (; due > 0; due--) {
		size_t tries = 0;
		while (tries < peers && w->outstanding[w->pace_cursor] >= w->options->window) {
			w->pace_cursor = (w->pace_cursor + 1) % peers;
			tries++;
		}
		w->pace_issued++;
		if (tries == peers) {
			w->result.behind++;
			continue;
		}
		if (send_one(w, w->pace_cursor) != 0)
			w->result.behind++;
		w->pace_cursor = (w->pace_cursor + 1) % peers;
	}
}

static void on_deadline(void *arg)
{
	struct relay_worker *w = arg;
	switch (w->phase) {
	case PHASE_SETUP: {
		char why[96];
		snprintf(why, sizeof(why),
		         "setup timed out: %zu of %zu peers authenticated, %zu joined",
		         w->fleet.authenticated, w->fleet.count, w->joined);
		fail_setup(w, why);
		break;
	}
	case PHASE_WARMUP:
		w->phase = PHASE_MEASURE;
		w->window_start_ns = bench_now_ns();
		w->cpu_at_window_start = bench_self_cpu_seconds();
		bench_worker_loop_set_deadline(&w->loop, w->options->duration);
		break;
	case PHASE_MEASURE:
		w->phase = PHASE_DRAIN;
		w->result.window_seconds = (double)(bench_now_ns() - w->window_start_ns) / 1e9;
		w->result.cpu_seconds = bench_self_cpu_seconds() - w->cpu_at_window_start;
		if (w->pace_timer != NULL)
			evtimer_del(w->pace_timer);
		if (w->total_outstanding == 0)
			begin_closing(w);
		else
			bench_worker_loop_set_deadline(&w->loop, DRAIN_SECONDS);
		break;
	case PHASE_DRAIN:
		begin_closing(w);
		break;
	case PHASE_CLOSING:
		finish(w); /* some close handshakes never completed: not a relay failure */
		break;
	default:
		break;
	}
}

static void start_load(struct relay_worker *w)
{
	w->phase = PHASE_WARMUP;
	bench_worker_loop_set_deadline(&w->loop, w->options->warmup);
	if (w->worker_rate == 0) {
		for (size_t i = 0; i < w->fleet.count; i++)
			fill_window(w, i);
		return;
	}
	w->pace_start_ns = bench_now_ns();
	struct timeval tick = {.tv_sec = 0, .tv_usec = PACE_TICK_US};
	evtimer_add(w->pace_timer, &tick);
}

static void on_go(void *arg)
{
	struct relay_worker *w = arg;
	if (w->phase == PHASE_READY)
		start_load(w);
}

static int setup(struct relay_worker *w, size_t index, size_t count)
{
	const struct bench_options *o = w->options;
	size_t pairs = bench_share(o->pairs, index, count);
	w->result.peers = 2 * pairs;
	if (o->rate > 0)
		w->worker_rate = o->rate * (double)pairs / (double)o->pairs;
	w->outstanding = calloc(2 * pairs + 1, sizeof(*w->outstanding));
	w->pace_timer = event_new(w->loop.base, -1, EV_PERSIST, pace_tick, w);
	if (w->outstanding == NULL || w->pace_timer == NULL)
		return -1;
	w->phase = PHASE_SETUP; /* before opening: failures may be reported at once */
	char err[160];
	if (bench_fleet_open(&w->fleet, w->loop.base, o, 2 * pairs, &relay_events, w, err,
	                     sizeof(err)) != 0) {
		snprintf(w->result.error, sizeof(w->result.error), "%s", err);
		return -1;
	}
	bench_worker_loop_set_deadline(&w->loop, o->setup_timeout);
	return 0;
}

int bench_relay_worker(size_t index, size_t count, int report_fd, int control_fd,
                       const void *options)
{
	struct relay_worker w = {.options = options};
	bench_result_init(&w.result);
	if (bench_worker_loop_init(&w.loop, report_fd, control_fd, on_go, on_deadline, &w) != 0 ||
	    setup(&w, index, count) != 0)
		bench_worker_loop_abort(&w.loop, &w.result);
	bench_worker_loop_run(&w.loop);
	bench_fleet_free(&w.fleet);
	if (w.pace_timer != NULL)
		event_free(w.pace_timer);
	free(w.outstanding);
	int status = w.loop.exit_status;
	bench_worker_loop_free(&w.loop);
	return status;
}
