/*
 * test_loadgen_relayed.c: recognising icegate's relayed benchmark messages
 * and their send timestamps, and splitting work between worker processes. A message
 * misread as relayed would corrupt the latency figures; one missed would
 * stall a sender's window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/loadgen/protocol.h"
#include "bench/loadgen/workers.h"

/* 1 if icegate's protocol takes the first length bytes of text for a
 * relayed benchmark message. */
static int parse_length(const char *text, size_t length, uint64_t *sent)
{
	char value[64];
	return bench_protocol_icegate.classify(text, length, "me", value, sizeof(value), sent) ==
	       BENCH_ARRIVAL_RELAYED;
}

static int parse(const char *text, uint64_t *sent)
{
	return parse_length(text, strlen(text), sent);
}

static void test_relayed_candidate_yields_timestamp(void **state)
{
	uint64_t sent = 0;
	assert_int_equal(
	    parse("{\"type\":\"candidate\",\"from\":\"0123456789abcdef\","
	          "\"candidate\":{\"candidate\":\"candidate:1 1 udp 1 192.0.2.1 9 typ "
	          "host bench-ts 1234567890123\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}",
	          &sent),
	    1);
	assert_int_equal(sent, 1234567890123ull);
}

static void test_relayed_offer_yields_timestamp(void **state)
{
	uint64_t sent = 0;
	assert_int_equal(parse("{\"from\":\"ab\",\"type\":\"offer\",\"sdp\":\"v=0\\r\\n"
	                       "a=candidate:1 1 udp 1 192.0.2.1 9 typ host bench-ts 42\\r\\n\"}",
	                       &sent),
	                 1);
	assert_int_equal(sent, 42);
}

static void test_message_without_from_is_not_relayed(void **state)
{
	uint64_t sent = 0;
	assert_int_equal(parse("{\"type\":\"error\",\"code\":\"bad_request\","
	                       "\"message\":\"bench-ts 42\"}",
	                       &sent),
	                 0);
}

static void test_marker_without_digits_is_not_relayed(void **state)
{
	uint64_t sent = 0;
	assert_int_equal(parse("{\"type\":\"candidate\",\"from\":\"ab\",\"candidate\":"
	                       "{\"candidate\":\"bench-ts x\"}}",
	                       &sent),
	                 0);
}

static void test_control_message_is_not_relayed(void **state)
{
	uint64_t sent = 0;
	assert_int_equal(
	    parse("{\"type\":\"joined\",\"room\":\"r\",\"id\":\"ab\",\"peers\":[]}", &sent), 0);
}

static void test_marker_at_end_of_buffer_is_bounded(void **state)
{
	/* The length, not a NUL, ends the message: digits past it are not read. */
	const char text[] = "{\"from\":\"a\"} bench-ts 12345";
	uint64_t sent = 0;
	assert_int_equal(parse_length(text, strlen(text) - 3, &sent), 1);
	assert_int_equal(sent, 12);
}

static void test_shares_cover_total_and_differ_by_one(void **state)
{
	size_t sum = 0;
	for (size_t i = 0; i < 3; i++) {
		size_t share = bench_share(10, i, 3);
		assert_true(share == 3 || share == 4);
		sum += share;
	}
	assert_int_equal(sum, 10);
	assert_int_equal(bench_share(5, 0, 1), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_relayed_candidate_yields_timestamp),
	    cmocka_unit_test(test_relayed_offer_yields_timestamp),
	    cmocka_unit_test(test_message_without_from_is_not_relayed),
	    cmocka_unit_test(test_marker_without_digits_is_not_relayed),
	    cmocka_unit_test(test_control_message_is_not_relayed),
	    cmocka_unit_test(test_marker_at_end_of_buffer_is_bounded),
	    cmocka_unit_test(test_shares_cover_total_and_differ_by_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
