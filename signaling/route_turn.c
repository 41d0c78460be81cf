/*
 * route_turn.c: TURN credentials over REST. GET /api/v1/ice-servers gives a
 * bearer its RTCIceServer list; GET /api/v1/turn/credentials answers in the
 * TURN REST API draft's own format for existing clients of that API (Janus's
 * turn_rest_api, for one), authenticated by an API key from icegatectl.
 */
#include "auth/apikey.h"
#include "common/log.h"
#include "db/store.h"
#include "signaling/conn.h"
#include "signaling/ice_servers.h"
#include "signaling/routes.h"
#include "signaling/server.h"

#include <string.h>

void route_ice_servers(struct server *server, struct conn *conn)
{
	struct token_claims claims;
	if (routes_authenticate(server, conn, &claims) != 0)
		return;
	int64_t expires_at;
	json_t *servers = ice_servers_mint(server, claims.subject, &expires_at);
	if (!servers) {
		conn_reply_error(conn, 503, "server_error", "cannot issue TURN credentials now");
		return;
	}
	metrics_count_turn_credential(&server->metrics, METRICS_TURN_ICE_SERVERS);
	conn_reply_json(
	    conn, 200,
	    json_pack("{s:o, s:I}", "iceServers", servers, "expiresAt", (json_int_t)expires_at));
}

/* 1 for a subject a credential may carry: 1..127 bytes, no control bytes. */
static int subject_valid(const char *subject)
{
	size_t length = strlen(subject);
	if (length == 0 || length >= STORE_SUBJECT_MAX)
		return 0;
	for (const char *c = subject; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	return 1;
}

void route_turn_credentials(struct server *server, struct conn *conn)
{
	const char *query = conn->request->query;
	char key[APIKEY_MAX], service[16], username[STORE_SUBJECT_MAX];
	if (http_query_param(query, "key", key, sizeof(key)) != 0 || !key[0]) {
		conn_reply_error(conn, 401, "invalid_key", "an API key (key=) is required");
		return;
	}
	char hash[STORE_APIKEY_HASH_MAX], name[STORE_NAME_MAX];
	apikey_hash(key, hash);
	int found = store_apikey_find(server->store, hash, name);
	if (found < 0) {
		log_error("looking up an API key: %s", store_error(server->store));
		conn_reply_error(conn, 503, "server_error", "the key store is unavailable");
		return;
	}
	if (found == 1) {
		log_warn("unknown API key from %s", conn->address);
		conn_reply_error(conn, 401, "invalid_key", "unknown API key");
		return;
	}
	if (http_query_param(query, "service", service, sizeof(service)) != 0 ||
	    strcmp(service, "turn") != 0) {
		conn_reply_error(conn, 400, "invalid_request", "service must be \"turn\"");
		return;
	}
	if (http_query_param(query, "username", username, sizeof(username)) != 0 ||
	    !subject_valid(username)) {
		conn_reply_error(conn, 400, "invalid_request",
		                 "username must be 1-127 bytes without control characters");
		return;
	}
	json_t *credential = ice_servers_rest_credential(server, username);
	if (!credential) {
		conn_reply_error(conn, 503, "server_error", "cannot issue TURN credentials now");
		return;
	}
	metrics_count_turn_credential(&server->metrics, METRICS_TURN_REST_API);
	log_info("TURN credential for '%s' issued to API key '%s'", username, name);
	conn_reply_json(conn, 200, credential);
}
