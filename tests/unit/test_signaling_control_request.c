/*
 * test_signaling_control_request.c: reading control socket requests. Every
 * command parses into its struct with the fields it takes, and each way a
 * request can be wrong (not JSON, not an object, no cmd, an unknown
 * command, a field the command does not take, a field of the wrong type or
 * size, a kick naming both or neither target) is refused with the error
 * code and a message that names the problem.
 */
#include "signaling/control.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int parse(const char *line, struct control_request *out, const char **code, char *message,
                 size_t message_size)
{
	return control_request_parse(line, strlen(line), out, code, message, message_size);
}

static void expect_ok(const char *line, struct control_request *out)
{
	const char *code = NULL;
	char message[256] = "";
	int result = parse(line, out, &code, message, sizeof(message));
	if (result != 0)
		fail_msg("'%s' refused: %s %s", line, code, message);
}

/* Refused with code, and a message containing mention. */
static void expect_refused(const char *line, const char *code, const char *mention)
{
	struct control_request request;
	const char *got = NULL;
	char message[256] = "";
	assert_int_equal(parse(line, &request, &got, message, sizeof(message)), -1);
	assert_non_null(got);
	assert_string_equal(got, code);
	if (!strstr(message, mention))
		fail_msg("message for '%s' was '%s', expected it to mention '%s'", line, message,
		         mention);
}

static void test_each_command_parses(void **state)
{
	struct control_request request;
	expect_ok("{\"cmd\":\"status\"}", &request);
	assert_int_equal(request.command, CONTROL_STATUS);
	expect_ok("{\"cmd\":\"rooms\"}", &request);
	assert_int_equal(request.command, CONTROL_ROOMS);
	expect_ok("{\"cmd\":\"sessions\"}", &request);
	assert_int_equal(request.command, CONTROL_SESSIONS);
	assert_string_equal(request.room, "");
	expect_ok(" { \"room\" : \"lobby-1.b_c\", \"cmd\" : \"sessions\" } ", &request);
	assert_int_equal(request.command, CONTROL_SESSIONS);
	assert_string_equal(request.room, "lobby-1.b_c");
	expect_ok("{\"cmd\":\"kick\",\"id\":\"0123456789abcdef\"}", &request);
	assert_int_equal(request.command, CONTROL_KICK);
	assert_string_equal(request.id, "0123456789abcdef");
	assert_string_equal(request.user, "");
	expect_ok("{\"cmd\":\"kick\",\"user\":\"alice\"}", &request);
	assert_string_equal(request.user, "alice");
	assert_string_equal(request.id, "");
	/* Guests are kicked by their subject. */
	expect_ok("{\"cmd\":\"kick\",\"user\":\"guest:00ff\"}", &request);
	assert_string_equal(request.user, "guest:00ff");
}

static void test_not_a_request(void **state)
{
	expect_refused("", "bad_request", "JSON object");
	expect_refused("status", "bad_request", "JSON object");
	expect_refused("[\"status\"]", "bad_request", "JSON object");
	expect_refused("\"status\"", "bad_request", "JSON object");
	expect_refused("{\"cmd\":\"status\"", "bad_request", "JSON object");
	expect_refused("{\"cmd\":\"status\",\"cmd\":\"rooms\"}", "bad_request", "JSON object");
	expect_refused("{}", "bad_request", "cmd");
	expect_refused("{\"cmd\":7}", "bad_request", "cmd");
	expect_refused("{\"cmd\":null}", "bad_request", "cmd");
}

static void test_unknown_command(void **state)
{
	expect_refused("{\"cmd\":\"shutdown\"}", "unknown_command", "'shutdown'");
	expect_refused("{\"cmd\":\"STATUS\"}", "unknown_command", "'STATUS'");
	expect_refused("{\"cmd\":\"\"}", "unknown_command", "expected status");
}

static void test_fields_a_command_does_not_take(void **state)
{
	expect_refused("{\"cmd\":\"status\",\"room\":\"a\"}", "bad_request", "'room'");
	expect_refused("{\"cmd\":\"rooms\",\"verbose\":true}", "bad_request", "'verbose'");
	expect_refused("{\"cmd\":\"sessions\",\"id\":\"x\"}", "bad_request", "'id'");
	expect_refused("{\"cmd\":\"kick\",\"id\":\"x\",\"room\":\"a\"}", "bad_request", "'room'");
}

static void test_sessions_room_filter(void **state)
{
	const char *refused[] = {
	    "{\"cmd\":\"sessions\",\"room\":\"\"}",
	    "{\"cmd\":\"sessions\",\"room\":\"two words\"}",
	    "{\"cmd\":\"sessions\",\"room\":\"a/b\"}",
	    "{\"cmd\":\"sessions\",\"room\":7}",
	    "{\"cmd\":\"sessions\",\"room\":null}",
	    "{\"cmd\":\"sessions\",\"room\":\"caf\\u00e9\"}",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		expect_refused(refused[i], "bad_request", "room must be a room name");
	char line[256];
	snprintf(line, sizeof(line), "{\"cmd\":\"sessions\",\"room\":\"%0*d\"}", 64, 0);
	struct control_request request;
	expect_ok(line, &request);
	snprintf(line, sizeof(line), "{\"cmd\":\"sessions\",\"room\":\"%0*d\"}", 65, 0);
	expect_refused(line, "bad_request", "room must be a room name");
}

static void test_kick_targets(void **state)
{
	expect_refused("{\"cmd\":\"kick\"}", "bad_request", "exactly one of id or user");
	expect_refused("{\"cmd\":\"kick\",\"id\":\"a\",\"user\":\"b\"}", "bad_request",
	               "exactly one of id or user");
	expect_refused("{\"cmd\":\"kick\",\"id\":\"\"}", "bad_request", "id must be");
	expect_refused("{\"cmd\":\"kick\",\"id\":12}", "bad_request", "id must be");
	expect_refused("{\"cmd\":\"kick\",\"user\":\"\"}", "bad_request", "user must be");
	expect_refused("{\"cmd\":\"kick\",\"user\":[\"a\"]}", "bad_request", "user must be");

	char line[512];
	struct control_request request;
	snprintf(line, sizeof(line), "{\"cmd\":\"kick\",\"id\":\"%0*d\"}", CONTROL_PEER_ID_MAX, 0);
	expect_ok(line, &request);
	snprintf(line, sizeof(line), "{\"cmd\":\"kick\",\"id\":\"%0*d\"}", CONTROL_PEER_ID_MAX + 1,
	         0);
	expect_refused(line, "bad_request", "id must be");
	snprintf(line, sizeof(line), "{\"cmd\":\"kick\",\"user\":\"%0*d\"}", STORE_SUBJECT_MAX - 1,
	         0);
	expect_ok(line, &request);
	snprintf(line, sizeof(line), "{\"cmd\":\"kick\",\"user\":\"%0*d\"}", STORE_SUBJECT_MAX, 0);
	expect_refused(line, "bad_request", "user must be");
}

static void test_no_stale_fields_between_requests(void **state)
{
	struct control_request request;
	expect_ok("{\"cmd\":\"kick\",\"user\":\"alice\"}", &request);
	expect_ok("{\"cmd\":\"kick\",\"id\":\"abc\"}", &request);
	assert_string_equal(request.user, "");
	expect_ok("{\"cmd\":\"sessions\"}", &request);
	assert_string_equal(request.id, "");
}

static void test_error_reply_shape(void **state)
{
	json_t *reply = control_error_reply("not_found", "no session with id 'x'");
	assert_non_null(reply);
	assert_string_equal(json_string_value(json_object_get(reply, "error")), "not_found");
	assert_string_equal(json_string_value(json_object_get(reply, "message")),
	                    "no session with id 'x'");
	assert_int_equal(json_object_size(reply), 2);
	json_decref(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_command_parses),
	    cmocka_unit_test(test_not_a_request),
	    cmocka_unit_test(test_unknown_command),
	    cmocka_unit_test(test_fields_a_command_does_not_take),
	    cmocka_unit_test(test_sessions_room_filter),
	    cmocka_unit_test(test_kick_targets),
	    cmocka_unit_test(test_no_stale_fields_between_requests),
	    cmocka_unit_test(test_error_reply_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
