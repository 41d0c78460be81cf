/*
 * idle_worker.c: one worker process of the idle-memory scenario.
 *
 * The worker opens its share of connections, waits for each to be
 * authenticated, tells the parent, and then does nothing but answer the
 * daemon's pings until the parent has read the daemon's memory and says go;
 * then it closes every connection cleanly. A connection the daemon drops
 * while idle is counted as lost, since the figure is only meaningful if every
 * connection was really held.
 */
#include "bench/loadgen/fleet.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/worker_loop.h"
#include "bench/loadgen/workers.h"

#include <stdio.h>

#define CLOSE_SECONDS 5.0

enum idle_phase { PHASE_SETUP, PHASE_HOLDING, PHASE_CLOSING, PHASE_DONE };

struct idle_worker {
	const struct bench_options *options; /* borrowed */
	struct bench_worker_loop loop;
	struct bench_fleet fleet;
	enum idle_phase phase;
	struct bench_result result;
};

static void finish(struct idle_worker *w)
{
	w->phase = PHASE_DONE;
	w->result.authenticated = w->fleet.authenticated;
	w->result.failed = w->fleet.failed;
	if (w->result.error[0] == '\0' && w->fleet.first_error[0] != '\0')
		snprintf(w->result.error, sizeof(w->result.error), "%s", w->fleet.first_error);
	bench_worker_loop_finish(&w->loop, &w->result);
}

static void check_setup(struct idle_worker *w)
{
	if (w->phase != PHASE_SETUP || !bench_fleet_settled(&w->fleet))
		return;
	bench_worker_loop_clear_deadline(&w->loop);
	if (w->fleet.failed > 0 || w->result.lost > 0) {
		bench_worker_loop_ready(&w->loop, 'F');
		finish(w);
		return;
	}
	w->phase = PHASE_HOLDING;
	bench_worker_loop_ready(&w->loop, 'R');
}

static void on_state(struct bench_peer *peer)
{
	struct idle_worker *w = bench_fleet_owner_of(peer);
	if (peer->state == BENCH_PEER_ENDED) {
		if (w->phase == PHASE_HOLDING || (w->phase == PHASE_SETUP && peer->id[0] != '\0')) {
			w->result.lost++;
			if (w->result.error[0] == '\0')
				snprintf(w->result.error, sizeof(w->result.error),
				         "connection %zu dropped while idle: %s (close code %d)",
				         peer->index, peer->end_reason, peer->close_code);
		} else if (w->phase == PHASE_CLOSING && w->fleet.ended == w->fleet.count) {
			finish(w);
			return;
		}
	}
	check_setup(w);
}

static void on_relayed(struct bench_peer *peer, uint64_t sent_ns)
{
	(void)peer; /* idle peers join no room, so nothing is ever relayed to them */
	(void)sent_ns;
}

static void on_error(struct bench_peer *peer, const char *code)
{
	struct idle_worker *w = bench_fleet_owner_of(peer);
	w->result.errors++;
	if (w->result.error[0] == '\0')
		snprintf(w->result.error, sizeof(w->result.error), "daemon replied error %s", code);
}

static const struct bench_peer_events idle_events = {
    .on_state = on_state,
    .on_relayed = on_relayed,
    .on_error = on_error,
};

static void on_deadline(void *arg)
{
	struct idle_worker *w = arg;
	if (w->phase == PHASE_SETUP) {
		snprintf(w->result.error, sizeof(w->result.error),
		         "setup timed out with %zu of %zu connections authenticated",
		         w->fleet.authenticated, w->fleet.count);
		bench_worker_loop_ready(&w->loop, 'F');
		finish(w);
	} else if (w->phase == PHASE_CLOSING) {
		finish(w); /* some close handshakes never completed: not a failure */
	}
}

/* The parent has read the daemon's memory: close everything. */
static void on_go(void *arg)
{
	struct idle_worker *w = arg;
	if (w->phase != PHASE_HOLDING)
		return;
	w->phase = PHASE_CLOSING;
	bench_worker_loop_set_deadline(&w->loop, CLOSE_SECONDS);
	bench_fleet_close_all(&w->fleet);
	if (w->phase == PHASE_CLOSING && w->fleet.ended == w->fleet.count)
		finish(w);
}

static int setup(struct idle_worker *w, size_t index, size_t count)
{
	const struct bench_options *o = w->options;
	size_t connections = bench_share(o->connections, index, count);
	w->result.peers = connections;
	w->phase = PHASE_SETUP; /* before opening: failures may be reported at once */
	char err[160];
	if (bench_fleet_open(&w->fleet, w->loop.base, o, connections, &idle_events, w, err,
	                     sizeof(err)) != 0) {
		snprintf(w->result.error, sizeof(w->result.error), "%s", err);
		return -1;
	}
	bench_worker_loop_set_deadline(&w->loop, o->setup_timeout);
	check_setup(w); /* every connect may have failed synchronously */
	return 0;
}

int bench_idle_worker(size_t index, size_t count, int report_fd, int control_fd,
                      const void *options)
{
	struct idle_worker w = {.options = options};
	bench_result_init(&w.result);
	if (bench_worker_loop_init(&w.loop, report_fd, control_fd, on_go, on_deadline, &w) != 0 ||
	    setup(&w, index, count) != 0)
		bench_worker_loop_abort(&w.loop, &w.result);
	bench_worker_loop_run(&w.loop);
	bench_fleet_free(&w.fleet);
	int status = w.loop.exit_status;
	bench_worker_loop_free(&w.loop);
	return status;
}
