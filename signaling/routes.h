/*
 * routes.h: the HTTP route table and what route handlers share.
 *
 * Every route has one shape: a method, a path (exact, or a prefix ending in
 * '/'), and a handler that answers through conn_reply* now or, for slow work,
 * later from a worker job (conn_reply_later). Adding a route is adding a line
 * to the table in routes.c and a handler in a route_*.c file.
 */
#ifndef ICEGATE_SIGNALING_ROUTES_H
#define ICEGATE_SIGNALING_ROUTES_H

#include "auth/refresh.h"
#include "auth/token.h"

#include <jansson.h>

struct conn;
struct server;

typedef void (*route_handler)(struct server *server, struct conn *conn);

/* Answers conn's current request: 404/405 when no route matches. A
 * connection from the metrics listener reaches /metrics, /healthz and /readyz
 * only; /metrics is on the signaling port only while metrics_listen is "". */
void routes_dispatch(struct server *server, struct conn *conn);

/* ---- handlers (one file each family) ---- */
void route_login(struct server *server, struct conn *conn);   /* route_login.c */
void route_refresh(struct server *server, struct conn *conn); /* route_tokens.c */
void route_logout(struct server *server, struct conn *conn);
void route_guest(struct server *server, struct conn *conn);
void route_create(struct server *server, struct conn *conn);
void route_me(struct server *server, struct conn *conn); /* route_info.c */
void route_first(struct server *server, struct conn *conn);
void route_health(struct server *server, struct conn *conn);
void route_ready(struct server *server, struct conn *conn);
void route_ice_servers(struct server *server, struct conn *conn); /* route_turn.c */
void route_turn_credentials(struct server *server, struct conn *conn);
void route_static(struct server *server, struct conn *conn);    /* route_static.c */
void route_websocket(struct server *server, struct conn *conn); /* route_websocket.c */
void route_metrics(struct server *server, struct conn *conn);   /* route_metrics.c */

/* ---- shared by handlers (routes.c) ---- */
/* Parses the request body as a JSON object; on failure answers 400 and
 * returns NULL. The caller owns the result. */
json_t *routes_json_body(struct conn *conn);
/* A string field of body, or NULL when missing or not a string. */
const char *routes_string_field(const json_t *body, const char *name);
/* Issues an access token for grant and answers 200 with the token response,
 * carrying refresh_token, or a refresh token starting a new family when it is
 * NULL. */
void routes_reply_tokens(struct server *server, struct conn *conn,
                         const struct refresh_grant *grant, const char *refresh_token);
/* The token of an "Authorization: Bearer" header, or NULL. */
const char *routes_bearer_token(const struct conn *conn);
/* Checks the request's bearer token (routes_check_token). Returns 0 with
 * claims filled, or -1 after answering 401 (503 when the store failed). */
int routes_authenticate(struct server *server, struct conn *conn, struct token_claims *claims);
/* Verifies a token for a user or guest subject: signature and claims, and for
 * a user, that the account still exists and is enabled. Returns 0, or -1 with
 * *error ("invalid_token", "account_disabled") and *description set. */
int routes_check_token(struct server *server, const char *token, struct token_claims *claims,
                       const char **error, const char **description);

#endif
