/*
 * test_loadgen_protocol.c: the PeerJS and forwarder adapters of the load
 * generator. A relayed message framed wrongly would be dropped or rejected by
 * the PeerJS server (and the comparison would measure nothing); an arrival
 * missed would stall a sender's window; a control message taken for an
 * arrival would corrupt the latency figures. The PeerJS server's side is
 * imitated as its source does it: parse the client's JSON, add "src", and
 * serialize {type, src, dst, payload} again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bench/loadgen/protocol.h"

static enum bench_arrival classify(const struct bench_protocol *protocol, const char *text,
                                   char *value, size_t value_size, uint64_t *sent)
{
	return protocol->classify(text, strlen(text), "b42-7", value, value_size, sent);
}

/* What the PeerJS server sends the destination for a client message: the
 * message's type, the sender's id as "src", dst and payload. Caller frees. */
static char *peerjs_forward(const char *sent, const char *src)
{
	json_t *message = json_loads(sent, 0, NULL);
	assert_non_null(message);
	json_t *forwarded = json_pack(
	    "{s:O, s:s, s:O, s:O}", "type", json_object_get(message, "type"), "src", src, "dst",
	    json_object_get(message, "dst"), "payload", json_object_get(message, "payload"));
	assert_non_null(forwarded);
	char *text = json_dumps(forwarded, JSON_COMPACT);
	json_decref(forwarded);
	json_decref(message);
	return text;
}

static void test_peerjs_candidate_is_framed_as_the_client_does(void **state)
{
	char text[4096];
	int length = bench_protocol_peerjs.relay_message(text, sizeof(text), "b42-6",
	                                                 BENCH_RELAY_CANDIDATE, 987654321);
	assert_true(length > 0);
	json_t *message = json_loadb(text, (size_t)length, 0, NULL);
	assert_non_null(message);
	assert_string_equal(json_string_value(json_object_get(message, "type")), "CANDIDATE");
	assert_string_equal(json_string_value(json_object_get(message, "dst")), "b42-6");
	json_t *payload = json_object_get(message, "payload");
	assert_string_equal(json_string_value(json_object_get(payload, "type")), "media");
	assert_non_null(json_string_value(json_object_get(payload, "connectionId")));
	const char *candidate =
	    json_string_value(json_object_get(json_object_get(payload, "candidate"), "candidate"));
	assert_non_null(candidate);
	const char *suffix = " bench-ts 987654321";
	assert_string_equal(candidate + strlen(candidate) - strlen(suffix), suffix);
	json_decref(message);
}

static void test_peerjs_offer_carries_sdp_object(void **state)
{
	char text[4096];
	int length =
	    bench_protocol_peerjs.relay_message(text, sizeof(text), "b42-6", BENCH_RELAY_OFFER, 5);
	assert_true(length > 1000);
	json_t *message = json_loadb(text, (size_t)length, 0, NULL);
	assert_non_null(message);
	assert_string_equal(json_string_value(json_object_get(message, "type")), "OFFER");
	json_t *sdp = json_object_get(json_object_get(message, "payload"), "sdp");
	assert_string_equal(json_string_value(json_object_get(sdp, "type")), "offer");
	const char *body = json_string_value(json_object_get(sdp, "sdp"));
	assert_non_null(body);
	assert_int_equal(strncmp(body, "v=0\r\n", 5), 0);
	assert_non_null(strstr(body, " bench-ts 5\r\n"));
	json_decref(message);
}

static void test_peerjs_forwarded_message_yields_timestamp(void **state)
{
	char text[4096];
	assert_true(bench_protocol_peerjs.relay_message(text, sizeof(text), "b42-7",
	                                                BENCH_RELAY_CANDIDATE, 1234567890123) > 0);
	char *forwarded = peerjs_forward(text, "b42-6");
	char value[64];
	uint64_t sent = 0;
	assert_int_equal(classify(&bench_protocol_peerjs, forwarded, value, sizeof(value), &sent),
	                 BENCH_ARRIVAL_RELAYED);
	assert_int_equal(sent, 1234567890123ull);
	free(forwarded);

	assert_true(bench_protocol_peerjs.relay_message(text, sizeof(text), "b42-7",
	                                                BENCH_RELAY_OFFER, 77) > 0);
	forwarded = peerjs_forward(text, "b42-6");
	assert_int_equal(classify(&bench_protocol_peerjs, forwarded, value, sizeof(value), &sent),
	                 BENCH_ARRIVAL_RELAYED);
	assert_int_equal(sent, 77);
	free(forwarded);
}

static void test_peerjs_message_without_src_is_not_an_arrival(void **state)
{
	/* What the client sends, seen without the server's "src": not relayed. */
	char text[4096];
	assert_true(bench_protocol_peerjs.relay_message(text, sizeof(text), "b42-7",
	                                                BENCH_RELAY_CANDIDATE, 9) > 0);
	char value[64];
	uint64_t sent = 0;
	assert_int_equal(classify(&bench_protocol_peerjs, text, value, sizeof(value), &sent),
	                 BENCH_ARRIVAL_OTHER);
}

static void test_peerjs_open_makes_the_peer_ready_under_its_own_id(void **state)
{
	char value[64] = "";
	uint64_t sent = 0;
	assert_int_equal(
	    classify(&bench_protocol_peerjs, "{\"type\":\"OPEN\"}", value, sizeof(value), &sent),
	    BENCH_ARRIVAL_READY);
	assert_string_equal(value, "b42-7");
}

static void test_peerjs_refusals_are_errors(void **state)
{
	char value[64] = "";
	uint64_t sent = 0;
	assert_int_equal(
	    classify(&bench_protocol_peerjs,
	             "{\"type\":\"ERROR\",\"payload\":{\"msg\":\"Server has reached its "
	             "concurrent user limit\"}}",
	             value, sizeof(value), &sent),
	    BENCH_ARRIVAL_ERROR);
	assert_string_equal(value, "Server has reached its concurrent user limit");
	assert_int_equal(classify(&bench_protocol_peerjs,
	                          "{\"type\":\"ID-TAKEN\",\"payload\":{\"msg\":\"ID is taken\"}}",
	                          value, sizeof(value), &sent),
	                 BENCH_ARRIVAL_ERROR);
	assert_string_equal(value, "ID-TAKEN");
	/* A message to a peer that left comes back as LEAVE: it was not relayed. */
	assert_int_equal(classify(&bench_protocol_peerjs,
	                          "{\"type\":\"LEAVE\",\"src\":\"b42-6\",\"dst\":\"b42-7\"}", value,
	                          sizeof(value), &sent),
	                 BENCH_ARRIVAL_ERROR);
	assert_string_equal(value, "LEAVE");
}

static void test_peerjs_url_and_heartbeat(void **state)
{
	char base[128];
	char suffix[128];
	assert_int_equal(bench_protocol_peerjs.base_path(base, sizeof(base), NULL), 0);
	assert_int_equal(bench_protocol_peerjs.peer_path(suffix, sizeof(suffix), "b42-7", "room"),
	                 0);
	char url[256];
	snprintf(url, sizeof(url), "%s%s", base, suffix);
	assert_string_equal(url, "/peerjs?key=peerjs&token=bench&id=b42-7");
	assert_string_equal(bench_protocol_peerjs.keepalive, "{\"type\":\"HEARTBEAT\"}");
	assert_true(bench_protocol_peerjs.keepalive_seconds > 0 &&
	            bench_protocol_peerjs.keepalive_seconds <= 5);
	char join[64];
	assert_int_equal(bench_protocol_peerjs.join_message(join, sizeof(join), "room"), 0);
	assert_int_equal(bench_protocol_peerjs.needs_credential, 0);
	/* A path that does not fit is refused, not truncated. */
	assert_int_equal(bench_protocol_peerjs.peer_path(suffix, 8, "b42-7", "room"), -1);
}

static void test_echo_message_arrives_unchanged(void **state)
{
	char text[4096];
	assert_true(bench_protocol_echo.relay_message(text, sizeof(text), "b42-6",
	                                              BENCH_RELAY_CANDIDATE, 31337) > 0);
	char value[64];
	uint64_t sent = 0;
	assert_int_equal(classify(&bench_protocol_echo, text, value, sizeof(value), &sent),
	                 BENCH_ARRIVAL_RELAYED);
	assert_int_equal(sent, 31337);
	assert_int_equal(
	    classify(&bench_protocol_echo, "{\"type\":\"open\"}", value, sizeof(value), &sent),
	    BENCH_ARRIVAL_READY);
	char suffix[128];
	assert_int_equal(
	    bench_protocol_echo.peer_path(suffix, sizeof(suffix), "b42-7", "bench-42-3"), 0);
	assert_string_equal(suffix, "?room=bench-42-3");
}

static void test_protocols_are_found_by_name(void **state)
{
	assert_ptr_equal(bench_protocol_find("icegate"), &bench_protocol_icegate);
	assert_ptr_equal(bench_protocol_find("peerjs"), &bench_protocol_peerjs);
	assert_ptr_equal(bench_protocol_find("echo"), &bench_protocol_echo);
	assert_null(bench_protocol_find("PeerJS"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_peerjs_candidate_is_framed_as_the_client_does),
	    cmocka_unit_test(test_peerjs_offer_carries_sdp_object),
	    cmocka_unit_test(test_peerjs_forwarded_message_yields_timestamp),
	    cmocka_unit_test(test_peerjs_message_without_src_is_not_an_arrival),
	    cmocka_unit_test(test_peerjs_open_makes_the_peer_ready_under_its_own_id),
	    cmocka_unit_test(test_peerjs_refusals_are_errors),
	    cmocka_unit_test(test_peerjs_url_and_heartbeat),
	    cmocka_unit_test(test_echo_message_arrives_unchanged),
	    cmocka_unit_test(test_protocols_are_found_by_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
