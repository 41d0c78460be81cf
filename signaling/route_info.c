/*
 * route_info.c: small read-only routes: health, the seed's /first, and
 * /api/v1/me, which shows a client what its bearer token says.
 */
#include "auth/roles.h"
#include "auth/turncred.h"
#include "db/store.h"
#include "signaling/conn.h"
#include "signaling/message.h"
#include "signaling/room.h"
#include "signaling/routes.h"
#include "signaling/server.h"

#include <string.h>

void route_health(struct server *server, struct conn *conn)
{
	conn_reply(conn, 200, "text/plain; charset=utf-8", "", "ok\n", 3);
}

void route_ready(struct server *server, struct conn *conn)
{
	const struct config *cfg = server->cfg;
	const char *problem = NULL;
	if (store_check_writable(server->store) != 0)
		problem = "the database is not writable";
	else if (turncred_secret_current(server->store, &server->keyring, cfg->realm,
	                                 cfg->turn_secret_window, server_now(server)) != 1)
		problem = "the TURN secret of the current window is missing";
	if (problem) {
		conn_reply_error(conn, 503, "not_ready", problem);
		return;
	}
	conn_reply(conn, 200, "text/plain; charset=utf-8", "", "ready\n", 6);
}

void route_first(struct server *server, struct conn *conn)
{
	char room_name[STORE_ROOM_MAX] = "default";
	int found = http_query_param(conn->request->query, "room", room_name, sizeof(room_name));
	if (found < 0 || (found == 0 && !room_name_valid(room_name))) {
		conn_reply_error(conn, 400, "invalid_request", "malformed room parameter");
		return;
	}
	if (found == 1)
		strcpy(room_name, "default");
	struct room *room = room_find(&server->rooms, room_name);
	const char *answer = room && room_first_sender(room, NULL) ? "true" : "false";
	conn_reply(conn, 200, "application/json", "", answer, strlen(answer));
}

void route_me(struct server *server, struct conn *conn)
{
	struct token_claims claims;
	if (routes_authenticate(server, conn, &claims) != 0)
		return;
	json_t *body = json_pack("{s:s, s:o, s:s, s:I}", "sub", claims.subject, "roles",
	                         message_roles(claims.roles), "room", claims.room, "exp",
	                         (json_int_t)claims.expires_at);
	conn_reply_json(conn, 200, body);
}
