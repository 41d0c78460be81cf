/*
 * route_tokens.c: the token routes other than login: refresh (and the seed's
 * POST /refresh), logout, guest tokens (and the seed's /create/:role).
 */
#include "auth/refresh.h"
#include "auth/roles.h"
#include "common/log.h"
#include "common/random.h"
#include "db/store.h"
#include "signaling/conn.h"
#include "signaling/room.h"
#include "signaling/routes.h"
#include "signaling/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The refresh token from a JSON body or, for the seed's form posts, from an
 * application/x-www-form-urlencoded body. Answers 400 and returns -1 when
 * there is none. */
static int read_refresh_token(struct conn *conn, char out[REFRESH_TOKEN_MAX])
{
	const struct http_request *req = conn->request;
	const char *type = http_request_header(req, "Content-Type");
	if (type && strncmp(type, "application/x-www-form-urlencoded", 33) == 0) {
		if (req->body &&
		    http_query_param(req->body, "refresh_token", out, REFRESH_TOKEN_MAX) == 0 &&
		    out[0])
			return 0;
		conn_reply_error(conn, 400, "invalid_request", "refresh_token is required");
		return -1;
	}
	json_t *body = routes_json_body(conn);
	if (!body)
		return -1;
	const char *token = routes_string_field(body, "refresh_token");
	int ok = token && *token && strlen(token) < REFRESH_TOKEN_MAX;
	if (ok)
		snprintf(out, REFRESH_TOKEN_MAX, "%s", token);
	json_decref(body);
	if (!ok) {
		conn_reply_error(conn, 400, "invalid_request", "refresh_token is required");
		return -1;
	}
	return 0;
}

/* The metrics outcome of a refresh that did not rotate. */
static enum metrics_auth_outcome refresh_failure(enum refresh_result result)
{
	switch (result) {
	case REFRESH_EXPIRED:
		return METRICS_AUTH_REFRESH_EXPIRED;
	case REFRESH_REUSED:
		return METRICS_AUTH_REFRESH_REUSED;
	case REFRESH_REVOKED:
		return METRICS_AUTH_REFRESH_REVOKED;
	case REFRESH_STORE_ERROR:
		return METRICS_AUTH_REFRESH_SERVER_ERROR;
	default:
		return METRICS_AUTH_REFRESH_UNKNOWN;
	}
}

void route_refresh(struct server *server, struct conn *conn)
{
	char token[REFRESH_TOKEN_MAX];
	if (read_refresh_token(conn, token) != 0) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_REFRESH_INVALID_REQUEST);
		return;
	}
	struct refresh_grant grant;
	char successor[REFRESH_TOKEN_MAX];
	enum refresh_result result =
	    refresh_rotate(server->store, token, server_now(server), server->cfg->refresh_token_ttl,
	                   &grant, successor);
	metrics_count_auth(&server->metrics, result == REFRESH_OK ? METRICS_AUTH_REFRESH_OK
	                                                          : refresh_failure(result));
	if (result == REFRESH_STORE_ERROR) {
		log_error("refresh: %s", store_error(server->store));
		conn_reply_error(conn, 503, "server_error", "the token store is unavailable");
		return;
	}
	if (result != REFRESH_OK) {
		if (result == REFRESH_REUSED)
			log_warn("refresh token reused from %s: family revoked", conn->address);
		conn_reply_error(conn, 401, "invalid_token", refresh_result_text(result));
		return;
	}
	routes_reply_tokens(server, conn, &grant, successor);
}

void route_logout(struct server *server, struct conn *conn)
{
	char token[REFRESH_TOKEN_MAX];
	if (read_refresh_token(conn, token) != 0)
		return;
	int result = refresh_revoke(server->store, token);
	if (result < 0) {
		log_error("logout: %s", store_error(server->store));
		conn_reply_error(conn, 503, "server_error", "the token store is unavailable");
	} else if (result == 1) {
		conn_reply_error(conn, 401, "invalid_token", "unknown refresh token");
	} else {
		conn_reply(conn, 204, NULL, "", NULL, 0);
	}
}

/* Issues guest tokens for role (one ROLE_* bit) and room (NULL for any). */
static void reply_guest_tokens(struct server *server, struct conn *conn, unsigned role,
                               const char *room)
{
	if (!server->cfg->guest_access) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_GUEST_DISABLED);
		conn_reply_error(conn, 403, "guest_access_disabled",
		                 "guest access is off on this server (guest_access = off)");
		return;
	}
	if (room && !room_name_valid(room)) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_GUEST_INVALID_REQUEST);
		conn_reply_error(conn, 400, "invalid_request",
		                 "room must be 1-64 characters of A-Z a-z 0-9 _ - .");
		return;
	}
	struct refresh_grant grant;
	memset(&grant, 0, sizeof(grant));
	char id[17];
	if (random_hex(id, 8) != 0) {
		conn_reply_error(conn, 500, "server_error", "no randomness available");
		return;
	}
	snprintf(grant.subject, sizeof(grant.subject), "guest:%s", id);
	snprintf(grant.room, sizeof(grant.room), "%s", room ? room : "");
	grant.roles = role;
	metrics_count_auth(&server->metrics, METRICS_AUTH_GUEST_OK);
	routes_reply_tokens(server, conn, &grant, NULL);
}

void route_guest(struct server *server, struct conn *conn)
{
	json_t *body = routes_json_body(conn);
	if (!body) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_GUEST_INVALID_REQUEST);
		return;
	}
	const char *role_name = routes_string_field(body, "role");
	json_t *room_value = json_object_get(body, "room");
	unsigned role = role_name ? roles_parse_one(role_name) : 0;
	char room[STORE_ROOM_MAX] = "";
	int room_ok = !room_value || json_is_null(room_value) ||
	              (json_is_string(room_value) && json_string_length(room_value) < sizeof(room));
	int room_given = json_is_string(room_value);
	if (room_ok && room_given)
		snprintf(room, sizeof(room), "%s", json_string_value(room_value));
	json_decref(body); /* room_value is gone with it */
	if (!role || !room_ok) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_GUEST_INVALID_REQUEST);
		conn_reply_error(conn, 400, "invalid_request",
		                 "role must be \"sender\" or \"receiver\"; room a string");
		return;
	}
	reply_guest_tokens(server, conn, role, room_given ? room : NULL);
}

void route_create(struct server *server, struct conn *conn)
{
	const char *role_text = conn->request->path + strlen("/create/");
	unsigned role = strcmp(role_text, "1") == 0   ? ROLE_SENDER
	                : strcmp(role_text, "0") == 0 ? ROLE_RECEIVER
	                                              : 0;
	if (!role) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_GUEST_INVALID_REQUEST);
		conn_reply_error(conn, 400, "invalid_request",
		                 "role must be 1 (sender) or 0 (receiver)");
		return;
	}
	char room[STORE_ROOM_MAX] = "";
	int found = http_query_param(conn->request->query, "room", room, sizeof(room));
	if (found < 0) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_GUEST_INVALID_REQUEST);
		conn_reply_error(conn, 400, "invalid_request", "malformed room parameter");
		return;
	}
	reply_guest_tokens(server, conn, role, found == 0 ? room : NULL);
}
