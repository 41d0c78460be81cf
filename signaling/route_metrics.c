/*
 * route_metrics.c: GET /metrics, the Prometheus scrape. The counters live in
 * server->metrics; the gauges are read here, at scrape time, from what the
 * server holds (connections, sessions, rooms) and from /proc, so nothing has
 * to keep them in step as connections come and go.
 */
#include "common/log.h"
#include "metrics/metrics.h"
#include "signaling/conn.h"
#include "signaling/room.h"
#include "signaling/routes.h"
#include "signaling/server.h"
#include "signaling/session.h"

#include <stdlib.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static void add_room_peers(const char *name, void *value, void *arg)
{
	const struct room *room = value;
	*(uint64_t *)arg += room->count;
}

static void read_gauges(const struct server *server, struct metrics_gauges *gauges)
{
	gauges->version = ICEGATE_VERSION;
	gauges->start_time_seconds = server->started_at_ms / 1000;
	gauges->uptime_seconds = (server_now_ms(server) - server->started_at_ms) / 1000;
	for (const struct conn *conn = server->connections; conn; conn = conn->next) {
		if (conn->listener == CONN_LISTENER_METRICS)
			gauges->metrics_connections++;
		else
			gauges->signaling_connections++;
		if (conn->session) {
			gauges->websocket_sessions++;
			if (conn->session->authenticated)
				gauges->authenticated_sessions++;
		}
	}
	gauges->rooms = server->rooms.by_name.count;
	hmap_foreach(&server->rooms.by_name, add_room_peers, &gauges->room_peers);
	gauges->process_known = metrics_process_read(&gauges->process) == 0;
}

void route_metrics(struct server *server, struct conn *conn)
{
	struct metrics_gauges gauges = {0};
	read_gauges(server, &gauges);
	size_t length;
	char *text = metrics_render(&server->metrics, &gauges, &length);
	if (!text) {
		log_error("rendering /metrics: out of memory");
		conn_reply_error(conn, 500, "server_error", "out of memory");
		return;
	}
	conn_reply(conn, 200, METRICS_CONTENT_TYPE, "", text, length);
	free(text);
}
