/*
 * route_websocket.c: GET /ws, the upgrade from HTTP to a signaling session.
 * The handshake, the Origin allow-list and shutdown are checked here; the
 * token, if the request carries one, is handed to the session, which answers
 * a bad one with close 4401 rather than an HTTP error a browser cannot read.
 */
#include "common/log.h"
#include "http/http_response.h"
#include "http/ws.h"
#include "signaling/conn.h"
#include "signaling/routes.h"
#include "signaling/server.h"
#include "signaling/session.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 1 if origin ("scheme://host[:port]") is on the comma-separated list. */
static int origin_listed(const char *list, const char *origin)
{
	size_t length = strlen(origin);
	const char *item = list;
	while (*item) {
		while (*item == ' ' || *item == ',')
			item++;
		size_t item_length = strcspn(item, ", ");
		if (item_length == 1 && item[0] == '*')
			return 1;
		if (item_length == length && item_length > 0 &&
		    strncasecmp(item, origin, length) == 0)
			return 1;
		item += item_length;
	}
	return 0;
}

/* Browsers send Origin on every WebSocket upgrade; other clients need not.
 * Without an allow-list, only pages served by this host may connect: the
 * origin's host and port are the Host header. Over TLS its scheme must be
 * https too; in plain HTTP either scheme is ours, since a proxy in front may
 * have served the page over https. */
static int origin_allowed(const struct config *cfg, const struct conn *conn)
{
	const char *origin = http_request_header(conn->request, "Origin");
	if (!origin)
		return 1;
	if (cfg->allowed_origins[0])
		return origin_listed(cfg->allowed_origins, origin);
	const char *host = http_request_header(conn->request, "Host");
	const char *authority = strstr(origin, "://");
	if (conn->tls && strncasecmp(origin, "https://", strlen("https://")) != 0)
		return 0;
	return host && authority && strcasecmp(authority + 3, host) == 0;
}

/* The bearer token from the header or the access_token parameter, copied
 * (the request is about to be reset). NULL when there is none. */
static char *copy_bearer(const struct conn *conn)
{
	const char *header = routes_bearer_token(conn);
	if (header)
		return strdup(header);
	const char *query = conn->request->query;
	char *token = malloc(strlen(query) + 1);
	if (token && http_query_param(query, "access_token", token, strlen(query) + 1) == 0 &&
	    token[0])
		return token;
	free(token);
	return NULL;
}

void route_websocket(struct server *server, struct conn *conn)
{
	char accept[29];
	int status = 400;
	const char *reason = "bad request";
	if (ws_handshake_check(conn->request, accept, &status, &reason) != 0) {
		if (status == 426) {
			conn_reply(conn, 426, "text/plain; charset=utf-8",
			           "Sec-WebSocket-Version: 13\r\n", reason, strlen(reason));
			return;
		}
		conn_reply_error(conn, status, "invalid_request", reason);
		return;
	}
	if (!origin_allowed(server->cfg, conn)) {
		log_warn("refusing WebSocket from %s: origin not allowed", conn->address);
		conn_reply_error(conn, 403, "forbidden_origin", "this origin may not connect");
		return;
	}
	if (server->shutting_down) {
		conn_reply_error(conn, 503, "shutting_down", "the server is shutting down");
		return;
	}

	char *bearer = copy_bearer(conn);
	ws_handshake_respond(conn->bev, accept);
	metrics_count_http_status(&server->metrics, 101);
	conn_drop_request(conn); /* a session does not speak HTTP again */
	conn->mode = CONN_WEBSOCKET;
	struct session *session = session_start(server, conn, bearer);
	free(bearer);
	if (!session) {
		log_error("cannot start a session for %s: out of memory", conn->address);
		conn_close_after_flush(conn);
		return;
	}
	/* Frames the client sent right behind its handshake. */
	if (evbuffer_get_length(bufferevent_get_input(conn->bev)) > 0)
		session_on_readable(session);
}
