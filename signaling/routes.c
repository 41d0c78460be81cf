/*
 * routes.c: the route table, dispatch (404, 405 with Allow, and which routes
 * each listener reaches), and the helpers route handlers share: JSON bodies,
 * token responses, token checks.
 */
#include "signaling/routes.h"

#include "auth/roles.h"
#include "common/log.h"
#include "db/store.h"
#include "signaling/conn.h"
#include "signaling/server.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Which listeners a route answers on. */
enum route_reach {
	ROUTE_SIGNALING, /* the public port only */
	ROUTE_ANY,       /* both ports (health checks) */
	ROUTE_METRICS,   /* metrics_listen when it is set, else the public port */
};

struct route {
	const char *method;
	const char *path; /* exact, or a prefix when it ends in '/' and prefix is set */
	int prefix;
	route_handler handle;
	enum route_reach reach;
};

static const struct route route_table[] = {
    {"GET", "/ws", 0, route_websocket, ROUTE_SIGNALING},
    {"POST", "/api/v1/auth/login", 0, route_login, ROUTE_SIGNALING},
    {"POST", "/api/v1/auth/refresh", 0, route_refresh, ROUTE_SIGNALING},
    {"POST", "/api/v1/auth/logout", 0, route_logout, ROUTE_SIGNALING},
    {"POST", "/api/v1/auth/guest", 0, route_guest, ROUTE_SIGNALING},
    {"GET", "/api/v1/me", 0, route_me, ROUTE_SIGNALING},
    {"GET", "/create/", 1, route_create, ROUTE_SIGNALING},
    {"POST", "/create/", 1, route_create, ROUTE_SIGNALING},
    {"POST", "/refresh", 0, route_refresh, ROUTE_SIGNALING},
    {"GET", "/first", 0, route_first, ROUTE_SIGNALING},
    {"GET", "/healthz", 0, route_health, ROUTE_ANY},
    {"GET", "/readyz", 0, route_ready, ROUTE_ANY},
    {"GET", "/metrics", 0, route_metrics, ROUTE_METRICS},
    {"GET", "/api/v1/ice-servers", 0, route_ice_servers, ROUTE_SIGNALING},
    {"GET", "/api/v1/turn/credentials", 0, route_turn_credentials, ROUTE_SIGNALING},
    {"GET", "/", 0, route_static, ROUTE_SIGNALING},
    {"GET", "/sender", 0, route_static, ROUTE_SIGNALING},
    {"GET", "/receiver", 0, route_static, ROUTE_SIGNALING},
    {"GET", "/js/", 1, route_static, ROUTE_SIGNALING},
    {"GET", "/css/", 1, route_static, ROUTE_SIGNALING},
};

static int path_matches(const struct route *route, const char *path)
{
	if (route->prefix)
		return strncmp(path, route->path, strlen(route->path)) == 0;
	return strcmp(path, route->path) == 0;
}

/* 1 if route answers connections of conn's listener. Routes out of reach
 * are treated as absent: 404, never a 405 that reveals them. */
static int route_reachable(const struct route *route, const struct server *server,
                           const struct conn *conn)
{
	int metrics_port_set = server->cfg->metrics_listen[0] != '\0';
	switch (route->reach) {
	case ROUTE_ANY:
		return 1;
	case ROUTE_METRICS:
		return conn->listener == CONN_LISTENER_METRICS || !metrics_port_set;
	case ROUTE_SIGNALING:
		return conn->listener == CONN_LISTENER_SIGNALING;
	}
	return 0;
}

void routes_dispatch(struct server *server, struct conn *conn)
{
	const struct http_request *req = conn->request;
	/* HEAD is answered like GET by the static pages only; everything else is
	 * exact. */
	char allow[64] = "";
	for (size_t i = 0; i < sizeof(route_table) / sizeof(route_table[0]); i++) {
		const struct route *route = &route_table[i];
		if (!path_matches(route, req->path) || !route_reachable(route, server, conn))
			continue;
		if (strcmp(route->method, req->method) == 0) {
			route->handle(server, conn);
			return;
		}
		if (!strstr(allow, route->method)) {
			size_t used = strlen(allow);
			snprintf(allow + used, sizeof(allow) - used, "%s%s", used ? ", " : "",
			         route->method);
		}
	}
	if (allow[0]) {
		char header[96];
		snprintf(header, sizeof(header), "Allow: %s\r\n", allow);
		char body[160];
		snprintf(body, sizeof(body),
		         "{\"error\":\"method_not_allowed\",\"error_description\":\"use %s\"}",
		         allow);
		conn_reply(conn, 405, "application/json", header, body, strlen(body));
		return;
	}
	conn_reply_error(conn, 404, "not_found", "no such resource");
}

json_t *routes_json_body(struct conn *conn)
{
	const struct http_request *req = conn->request;
	if (!req->body || req->body_length == 0) {
		conn_reply_error(conn, 400, "invalid_request", "a JSON object body is required");
		return NULL;
	}
	json_error_t error;
	json_t *body = json_loadb(req->body, req->body_length, JSON_REJECT_DUPLICATES, &error);
	if (!body || !json_is_object(body)) {
		json_decref(body);
		conn_reply_error(conn, 400, "invalid_request", "the body is not a JSON object");
		return NULL;
	}
	return body;
}

const char *routes_string_field(const json_t *body, const char *name)
{
	json_t *value = json_object_get(body, name);
	return json_is_string(value) ? json_string_value(value) : NULL;
}

void routes_reply_tokens(struct server *server, struct conn *conn,
                         const struct refresh_grant *grant, const char *refresh_token)
{
	const struct config *cfg = server->cfg;
	int64_t now = server_now(server);
	struct token_claims claims;
	memset(&claims, 0, sizeof(claims));
	snprintf(claims.subject, sizeof(claims.subject), "%s", grant->subject);
	snprintf(claims.room, sizeof(claims.room), "%s", grant->room);
	claims.roles = grant->roles;

	char *access = NULL;
	char refresh[REFRESH_TOKEN_MAX];
	if (token_issue(&server->keyring, &claims, now, cfg->access_token_ttl, &access) != 0) {
		conn_reply_error(conn, 500, "server_error", "could not issue a token");
		return;
	}
	if (refresh_token) {
		snprintf(refresh, sizeof(refresh), "%s", refresh_token);
	} else if (refresh_issue(server->store, grant, NULL, now, cfg->refresh_token_ttl,
	                         refresh) != 0) {
		log_error("issuing a refresh token for %s: %s", grant->subject,
		          store_error(server->store));
		free(access);
		conn_reply_error(conn, 503, "server_error", "the token store is unavailable");
		return;
	}
	json_t *body =
	    json_pack("{s:s, s:s, s:s, s:i}", "access_token", access, "refresh_token", refresh,
	              "token_type", "Bearer", "expires_in", cfg->access_token_ttl);
	free(access);
	conn_reply_json(conn, 200, body);
}

const char *routes_bearer_token(const struct conn *conn)
{
	const char *value = http_request_header(conn->request, "Authorization");
	if (!value || strncasecmp(value, "Bearer ", 7) != 0)
		return NULL;
	value += 7;
	while (*value == ' ')
		value++;
	return *value ? value : NULL;
}

/* The metrics outcome of a failed routes_check_token. */
static enum metrics_auth_outcome bearer_failure(const char *error)
{
	if (strcmp(error, "account_disabled") == 0)
		return METRICS_AUTH_BEARER_DISABLED;
	if (strcmp(error, "server_error") == 0)
		return METRICS_AUTH_BEARER_SERVER_ERROR;
	return METRICS_AUTH_BEARER_INVALID_TOKEN;
}

int routes_authenticate(struct server *server, struct conn *conn, struct token_claims *claims)
{
	const char *token = routes_bearer_token(conn);
	if (!token) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_BEARER_MISSING_TOKEN);
		conn_reply_error(conn, 401, "missing_token", "a bearer token is required");
		return -1;
	}
	const char *error, *description;
	if (routes_check_token(server, token, claims, &error, &description) != 0) {
		metrics_count_auth(&server->metrics, bearer_failure(error));
		conn_reply_error(conn, strcmp(error, "server_error") == 0 ? 503 : 401, error,
		                 description);
		return -1;
	}
	metrics_count_auth(&server->metrics, METRICS_AUTH_BEARER_OK);
	return 0;
}

int routes_check_token(struct server *server, const char *token, struct token_claims *claims,
                       const char **error, const char **description)
{
	enum token_error result = token_verify(&server->keyring, token, server_now(server), claims);
	if (result != TOKEN_OK) {
		*error = "invalid_token";
		*description = token_error_text(result);
		return -1;
	}
	if (strncmp(claims->subject, "guest:", 6) == 0)
		return 0;
	struct store_user user;
	int found = store_user_get(server->store, claims->subject, &user);
	if (found < 0) {
		log_error("looking up user for a token: %s", store_error(server->store));
		*error = "server_error";
		*description = "the user store is unavailable";
		return -1;
	}
	if (found == 1 || user.disabled) {
		*error = "account_disabled";
		*description =
		    found == 1 ? "the account no longer exists" : "the account is disabled";
		return -1;
	}
	return 0;
}
