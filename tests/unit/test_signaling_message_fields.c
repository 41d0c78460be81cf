/*
 * test_signaling_message_fields.c: the field rules for client messages. Each
 * shape a hostile or buggy client might send is refused here, and the valid
 * shapes browsers send pass through unchanged.
 */
#include "signaling/message_fields.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static json_t *parse(const char *text)
{
	json_error_t error;
	json_t *value = json_loads(text, 0, &error);
	assert_non_null(value);
	return value;
}

static void test_id_shapes(void **state)
{
	const char *valid[] = {"{}", "{\"id\":7}", "{\"id\":\"abc\"}", "{\"id\":-1}"};
	const char *invalid[] = {"{\"id\":1.5}", "{\"id\":[1]}", "{\"id\":{}}", "{\"id\":true}",
	                         "{\"id\":null}"};
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		json_t *message = parse(valid[i]);
		assert_true(message_id_valid(message));
		json_decref(message);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		json_t *message = parse(invalid[i]);
		assert_false(message_id_valid(message));
		json_decref(message);
	}
}

static void test_id_length_limit(void **state)
{
	char text[128];
	snprintf(text, sizeof(text), "{\"id\":\"%0*d\"}", MESSAGE_ID_MAX, 0);
	json_t *at_limit = parse(text);
	assert_true(message_id_valid(at_limit));
	json_decref(at_limit);
	snprintf(text, sizeof(text), "{\"id\":\"%0*d\"}", MESSAGE_ID_MAX + 1, 0);
	json_t *over = parse(text);
	assert_false(message_id_valid(over));
	json_decref(over);
}

static void test_sdp_as_text_or_description(void **state)
{
	json_t *text = parse("{\"sdp\":\"v=0\\r\\n\"}");
	assert_string_equal(json_string_value(message_sdp(text)), "v=0\r\n");
	json_decref(text);
	json_t *init = parse("{\"sdp\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}");
	assert_string_equal(json_string_value(message_sdp(init)), "v=0");
	json_decref(init);
}

static void test_sdp_rejections(void **state)
{
	const char *bad[] = {"{}",
	                     "{\"sdp\":\"\"}",
	                     "{\"sdp\":42}",
	                     "{\"sdp\":null}",
	                     "{\"sdp\":[\"v=0\"]}",
	                     "{\"sdp\":{\"type\":\"offer\"}}",
	                     "{\"sdp\":{\"sdp\":7}}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *message = parse(bad[i]);
		assert_null(message_sdp(message));
		json_decref(message);
	}
}

static void test_candidate_keeps_known_fields_only(void **state)
{
	json_t *message = parse("{\"candidate\":{\"candidate\":\"candidate:1 1 udp 1 1.2.3.4 5 typ "
	                        "host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0,"
	                        "\"usernameFragment\":\"u\",\"from\":\"forged\",\"x\":1}}");
	json_t *clean = message_candidate(message);
	assert_non_null(clean);
	assert_int_equal(json_object_size(clean), 4);
	assert_null(json_object_get(clean, "from"));
	assert_null(json_object_get(clean, "x"));
	assert_string_equal(json_string_value(json_object_get(clean, "sdpMid")), "0");
	json_decref(clean);
	json_decref(message);
}

static void test_candidate_null_is_end_of_candidates(void **state)
{
	json_t *message = parse("{\"candidate\":null}");
	json_t *clean = message_candidate(message);
	assert_non_null(clean);
	assert_true(json_is_null(clean));
	json_decref(clean);
	json_decref(message);
}

static void test_candidate_rejections(void **state)
{
	const char *bad[] = {
	    "{}",
	    "{\"candidate\":\"candidate:1\"}",
	    "{\"candidate\":{}}",
	    "{\"candidate\":{\"candidate\":5}}",
	    "{\"candidate\":{\"candidate\":\"c\",\"sdpMid\":0}}",
	    "{\"candidate\":{\"candidate\":\"c\",\"sdpMLineIndex\":\"0\"}}",
	    "{\"candidate\":{\"candidate\":\"c\",\"sdpMLineIndex\":-1}}",
	    "{\"candidate\":{\"candidate\":\"c\",\"sdpMLineIndex\":70000}}",
	    "{\"candidate\":{\"candidate\":\"c\",\"usernameFragment\":[]}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *message = parse(bad[i]);
		json_t *clean = message_candidate(message);
		if (clean)
			fail_msg("accepted %s", bad[i]);
		json_decref(message);
	}
}

static void test_chat_text_limits(void **state)
{
	json_t *empty = parse("{\"text\":\"\"}");
	assert_null(message_chat_text(empty));
	json_decref(empty);
	json_t *number = parse("{\"text\":12}");
	assert_null(message_chat_text(number));
	json_decref(number);

	/* The limit counts characters, not bytes: 4096 three-byte characters
	 * pass, one more does not. */
	size_t size = (CHAT_TEXT_MAX + 1) * 3 + 16;
	char *text = malloc(size);
	strcpy(text, "{\"text\":\"");
	size_t at = strlen(text);
	for (int i = 0; i < CHAT_TEXT_MAX; i++, at += 3)
		memcpy(text + at, "\xe2\x82\xac", 3);
	strcpy(text + at, "\"}");
	json_t *at_limit = parse(text);
	assert_non_null(message_chat_text(at_limit));
	json_decref(at_limit);
	memcpy(text + at, "\xe2\x82\xac\"}", 6);
	json_t *over = parse(text);
	assert_null(message_chat_text(over));
	json_decref(over);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_shapes),
	    cmocka_unit_test(test_id_length_limit),
	    cmocka_unit_test(test_sdp_as_text_or_description),
	    cmocka_unit_test(test_sdp_rejections),
	    cmocka_unit_test(test_candidate_keeps_known_fields_only),
	    cmocka_unit_test(test_candidate_null_is_end_of_candidates),
	    cmocka_unit_test(test_candidate_rejections),
	    cmocka_unit_test(test_chat_text_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
