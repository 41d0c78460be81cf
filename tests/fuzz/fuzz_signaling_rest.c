/*
 * fuzz_signaling_rest.c: the REST API's parameter parsing, on requests as
 * the HTTP parser delivers them.
 *
 * The input is one HTTP request. Whatever the routes read out of a request
 * without touching the store is run on it: the Bearer token of the
 * Authorization header (routes_bearer_token), the query parameters of
 * /first, /create/:role, /ws and /api/v1/turn/credentials, a form-encoded
 * refresh_token body, and a JSON body parsed as routes_json_body parses it,
 * with the string fields of the login, refresh and guest routes and the
 * checks applied to them (role names, room names, user names, TURN
 * usernames). Each accepted value is checked against the rule it claims to
 * enforce; a user name is also checked against the WebSocket UTF-8 validator,
 * a second implementation of the same RFC.
 *
 * routes_json_body itself, the Origin allow-list of /ws, the guest route's
 * room check and the TURN REST username check answer through a connection,
 * so they are reached by fuzz_signaling_server, which runs a whole server;
 * here, the parsing under them is fuzzed at full speed.
 */
#include "auth/refresh.h"
#include "auth/roles.h"
#include "db/store.h"
#include "http/http_request.h"
#include "http/utf8.h"
#include "signaling/conn.h"
#include "signaling/room.h"
#include "signaling/routes.h"
#include "tests/fuzz/support/fuzz_check.h"

#include <event2/buffer.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void check_bearer(const struct http_request *req)
{
	struct conn conn;
	memset(&conn, 0, sizeof(conn));
	conn.request = (struct http_request *)req;
	const char *token = routes_bearer_token(&conn);
	const char *header = http_request_header(req, "Authorization");
	if (!token)
		return;
	FUZZ_CHECK(header && strncasecmp(header, "Bearer ", 7) == 0);
	FUZZ_CHECK(token[0] != '\0' && token[0] != ' ');
	FUZZ_CHECK(token > header && token <= header + strlen(header));
	for (const char *c = header + 7; c < token; c++)
		FUZZ_CHECK(*c == ' ');
}

static void check_room(const char *room)
{
	if (!room_name_valid(room))
		return;
	size_t length = strlen(room);
	FUZZ_CHECK(length >= 1 && length <= 64);
	FUZZ_CHECK(strspn(room, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                        "0123456789_-.") == length);
}

/* A parameter read into a buffer of exactly size bytes. */
static void check_query_param(const char *query, const char *name, size_t size)
{
	char *out = malloc(size);
	FUZZ_CHECK(out != NULL);
	int found = http_query_param(query, name, out, size);
	FUZZ_CHECK(found >= -1 && found <= 1);
	if (found == 0) {
		FUZZ_CHECK(memchr(out, '\0', size) != NULL);
		if (strcmp(name, "room") == 0)
			check_room(out);
	}
	free(out);
}

static void check_user_name(const char *name)
{
	char why[128];
	memset(why, 0x55, sizeof(why));
	if (store_user_name_check(name, why, sizeof(why)) != 0) {
		FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
		return;
	}
	size_t length = strlen(name);
	FUZZ_CHECK(length >= 1 && length < STORE_NAME_MAX);
	FUZZ_CHECK(utf8_is_valid(name, length));
	for (const char *c = name; *c; c++)
		FUZZ_CHECK((unsigned char)*c > 0x20 && *c != 0x7f && *c != ':');
}

static void check_turn_username(const char *username)
{
	char why[96];
	if (store_turn_username_check(username, why, sizeof(why)) != 0)
		return;
	const char *colon = strchr(username, ':');
	FUZZ_CHECK(colon && colon > username && colon[1] != '\0');
	FUZZ_CHECK(strspn(username, "0123456789") == (size_t)(colon - username));
	for (const char *c = colon + 1; *c; c++)
		FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
}

static void check_json_body(const struct http_request *req)
{
	json_error_t error;
	json_t *body = json_loadb(req->body, req->body_length, JSON_REJECT_DUPLICATES, &error);
	if (!json_is_object(body)) {
		json_decref(body);
		return;
	}
	static const char *const names[] = {"username", "password", "refresh_token", "role",
	                                    "room"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *value = json_object_get(body, names[i]);
		const char *text = routes_string_field(body, names[i]);
		FUZZ_CHECK(text == (json_is_string(value) ? json_string_value(value) : NULL));
	}
	const char *role = routes_string_field(body, "role");
	if (role) {
		unsigned bit = roles_parse_one(role);
		FUZZ_CHECK(bit == 0 || (bit == ROLE_SENDER && strcmp(role, "sender") == 0) ||
		           (bit == ROLE_RECEIVER && strcmp(role, "receiver") == 0));
		unsigned set = roles_parse_list(role);
		FUZZ_CHECK((set & ~(unsigned)ROLE_ALL) == 0);
		FUZZ_CHECK(bit == 0 || set == bit);
	}
	const char *room = routes_string_field(body, "room");
	if (room)
		check_room(room);
	const char *username = routes_string_field(body, "username");
	if (username) {
		check_user_name(username);
		check_turn_username(username);
	}
	json_decref(body);
}

static void check_request(const struct http_request *req)
{
	check_bearer(req);
	check_query_param(req->query, "room", STORE_ROOM_MAX);
	check_query_param(req->query, "access_token", strlen(req->query) + 1);
	check_query_param(req->query, "key", 128);
	check_query_param(req->query, "service", 16);
	check_query_param(req->query, "username", STORE_SUBJECT_MAX);
	char username[STORE_SUBJECT_MAX];
	if (http_query_param(req->query, "username", username, sizeof(username)) == 0)
		check_turn_username(username);
	if (!req->body)
		return;
	const char *type = http_request_header(req, "Content-Type");
	if (type && strncmp(type, "application/x-www-form-urlencoded", 33) == 0)
		check_query_param(req->body, "refresh_token", REFRESH_TOKEN_MAX);
	else
		check_json_body(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *input = evbuffer_new();
	FUZZ_CHECK(input != NULL);
	evbuffer_add(input, data, size);
	struct http_request req;
	http_request_init(&req);
	int status = 0;
	const char *reason = NULL;
	while (http_request_parse(input, &req, &status, &reason) == HTTP_PARSE_DONE)
		check_request(&req);
	http_request_reset(&req);
	evbuffer_free(input);
	return 0;
}
