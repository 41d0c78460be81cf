/*
 * route_login.c: POST /api/v1/auth/login. The argon2id check costs tens of
 * milliseconds, so it runs on a worker; the loop only looks the user up and
 * answers. Unknown users are checked against a dummy hash so that a miss takes
 * as long as a wrong password, and both get the same answer.
 */
#include "auth/password.h"
#include "auth/roles.h"
#include "common/log.h"
#include "db/store.h"
#include "signaling/conn.h"
#include "signaling/routes.h"
#include "signaling/server.h"
#include "signaling/workers.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct login_job {
	struct server *server; /* borrowed */
	void *conn;            /* struct conn, borrowed; cleared if it closes first */
	struct store_user user;
	int user_found;
	char *password; /* owned; wiped before free */
	int verified;   /* 1 match, 0 mismatch, -1 error (set by the worker) */
};

/* The key failed logins are counted under: the address, or for IPv6 its /64,
 * since one client usually holds a whole /64 and could rotate through it. */
static void limiter_key(const char *address, char key[CONN_ADDRESS_MAX + 4])
{
	struct in6_addr v6;
	if (inet_pton(AF_INET6, address, &v6) == 1) {
		memset(&v6.s6_addr[8], 0, 8);
		char prefix[CONN_ADDRESS_MAX];
		inet_ntop(AF_INET6, &v6, prefix, sizeof(prefix));
		snprintf(key, CONN_ADDRESS_MAX + 4, "%s/64", prefix);
	} else {
		snprintf(key, CONN_ADDRESS_MAX + 4, "%s", address);
	}
}

static void login_job_free(struct login_job *job)
{
	if (job->password) {
		OPENSSL_cleanse(job->password, strlen(job->password));
		free(job->password);
	}
	OPENSSL_cleanse(job->user.password_hash, sizeof(job->user.password_hash));
	free(job);
}

static void verify_on_worker(void *arg)
{
	struct login_job *job = arg;
	const char *hash = job->user_found ? job->user.password_hash : password_dummy_hash();
	job->verified = password_verify(hash, job->password);
}

static void answer_on_loop(void *arg)
{
	struct login_job *job = arg;
	struct conn *conn = job->conn;
	struct server *server = job->server;
	if (!conn) {
		login_job_free(job);
		return;
	}
	if (job->verified != 1 || !job->user_found) {
		char key[CONN_ADDRESS_MAX + 4];
		limiter_key(conn->address, key);
		login_limiter_record_failure(&server->login_limiter, key, server_now(server));
		/* A name that is not a valid user name may hold anything, line
		 * breaks included: it is not copied into the log. */
		char why[64];
		int printable = store_user_name_check(job->user.name, why, sizeof(why)) == 0;
		log_info("login failed for user '%s' from %s",
		         printable ? job->user.name : "(not a valid name)", conn->address);
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_BAD_CREDENTIALS);
		conn_reply_error(conn, 401, "invalid_credentials", "invalid username or password");
	} else if (job->user.disabled) {
		log_info("login refused for disabled user '%s' from %s", job->user.name,
		         conn->address);
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_DISABLED);
		conn_reply_error(conn, 403, "account_disabled", "the account is disabled");
	} else {
		struct refresh_grant grant;
		memset(&grant, 0, sizeof(grant));
		snprintf(grant.subject, sizeof(grant.subject), "%s", job->user.name);
		grant.roles = roles_parse_list(job->user.roles);
		log_info("login for user '%s' from %s", job->user.name, conn->address);
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_OK);
		routes_reply_tokens(server, conn, &grant, NULL);
	}
	login_job_free(job);
}

void route_login(struct server *server, struct conn *conn)
{
	char key[CONN_ADDRESS_MAX + 4];
	limiter_key(conn->address, key);
	int retry_after = login_limiter_check(&server->login_limiter, key, server_now(server));
	if (retry_after > 0) {
		char header[48], body[128];
		snprintf(header, sizeof(header), "Retry-After: %d\r\n", retry_after);
		snprintf(
		    body, sizeof(body),
		    "{\"error\":\"rate_limited\",\"error_description\":\"too many failed logins; "
		    "retry in %d s\"}",
		    retry_after);
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_RATE_LIMITED);
		conn_reply(conn, 429, "application/json", header, body, strlen(body));
		return;
	}

	json_t *body = routes_json_body(conn);
	if (!body) {
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_INVALID_REQUEST);
		return;
	}
	const char *username = routes_string_field(body, "username");
	const char *password = routes_string_field(body, "password");
	if (!username || !password || !*username || !*password) {
		json_decref(body);
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_INVALID_REQUEST);
		conn_reply_error(conn, 400, "invalid_request",
		                 "username and password are required strings");
		return;
	}

	struct login_job *job = calloc(1, sizeof(*job));
	if (!job) {
		json_decref(body);
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_SERVER_ERROR);
		conn_reply_error(conn, 503, "server_error", "out of memory");
		return;
	}
	job->server = server;
	job->conn = conn;
	int found = strlen(username) < STORE_NAME_MAX && strlen(password) <= PASSWORD_MAX_LENGTH
	                ? store_user_get(server->store, username, &job->user)
	                : 1;
	if (found < 0) {
		log_error("login: %s", store_error(server->store));
		json_decref(body);
		login_job_free(job);
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_SERVER_ERROR);
		conn_reply_error(conn, 503, "server_error", "the user store is unavailable");
		return;
	}
	job->user_found = found == 0;
	if (!job->user_found)
		snprintf(job->user.name, sizeof(job->user.name), "%.64s", username);
	job->password = strdup(strlen(password) <= PASSWORD_MAX_LENGTH ? password : "");
	json_decref(body);

	if (!job->password ||
	    workers_submit(server->workers, verify_on_worker, answer_on_loop, job) != 0) {
		login_job_free(job);
		metrics_count_auth(&server->metrics, METRICS_AUTH_LOGIN_SERVER_ERROR);
		conn_reply_error(conn, 503, "server_error", "cannot verify passwords right now");
		return;
	}
	conn_reply_later(conn, &job->conn);
}
