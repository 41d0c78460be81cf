/*
 * test_loadgen_handshake.c: the generator must tell a real upgrade from a
 * refusal, or a benchmark would count refused connections as open ones.
 * Each kind of bad answer has its own test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bench/loadgen/handshake.h"

/* The example of RFC 6455 section 1.3. */
static const char rfc_key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char rfc_accept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

static int check(const char *head, int *status, char *err, size_t err_size)
{
	return bench_handshake_check(head, strlen(head), rfc_key, status, err, err_size);
}

static void test_accept_key_matches_rfc(void **state)
{
	char accept[BENCH_HANDSHAKE_ACCEPT_SIZE];
	assert_int_equal(bench_handshake_accept(rfc_key, accept), 0);
	assert_string_equal(accept, rfc_accept);
}

static void test_fresh_keys_are_distinct_base64_of_16_bytes(void **state)
{
	char a[BENCH_HANDSHAKE_KEY_SIZE], b[BENCH_HANDSHAKE_KEY_SIZE];
	assert_int_equal(bench_handshake_key(a), 0);
	assert_int_equal(bench_handshake_key(b), 0);
	assert_int_equal(strlen(a), 24);
	assert_string_equal(a + 22, "==");
	assert_string_not_equal(a, b);
}

static void test_request_carries_upgrade_headers(void **state)
{
	char request[512];
	int n = bench_handshake_request(request, sizeof(request), "127.0.0.1:8080",
	                                "/ws?access_token=x.y.z", rfc_key);
	assert_true(n > 0);
	assert_non_null(strstr(request, "GET /ws?access_token=x.y.z HTTP/1.1\r\n"));
	assert_non_null(strstr(request, "Host: 127.0.0.1:8080\r\n"));
	assert_non_null(strstr(request, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
	assert_non_null(strstr(request, "Sec-WebSocket-Version: 13\r\n"));
	assert_string_equal(request + n - 4, "\r\n\r\n");
}

static void test_request_too_long_is_refused(void **state)
{
	char request[64];
	assert_int_equal(bench_handshake_request(request, sizeof(request), "127.0.0.1:8080",
	                                         "/ws?access_token=x.y.z", rfc_key),
	                 -1);
}

static void test_valid_101_is_accepted(void **state)
{
	int status;
	char err[128];
	assert_int_equal(check("HTTP/1.1 101 Switching Protocols\r\n"
	                       "upgrade: WebSocket\r\n"
	                       "connection: keep-alive, Upgrade\r\n"
	                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	                       &status, err, sizeof(err)),
	                 0);
	assert_int_equal(status, 101);
}

static void test_429_is_refused_with_its_status(void **state)
{
	int status;
	char err[128];
	assert_int_equal(check("HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n",
	                       &status, err, sizeof(err)),
	                 -1);
	assert_int_equal(status, 429);
	assert_non_null(strstr(err, "429"));
}

static void test_wrong_accept_is_refused(void **state)
{
	int status;
	char err[128];
	assert_int_equal(check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	                       "Connection: Upgrade\r\n"
	                       "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
	                       &status, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "Accept"));
}

static void test_missing_accept_is_refused(void **state)
{
	int status;
	char err[128];
	assert_int_equal(check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	                       "Connection: Upgrade\r\n\r\n",
	                       &status, err, sizeof(err)),
	                 -1);
}

static void test_missing_upgrade_is_refused(void **state)
{
	int status;
	char err[128];
	assert_int_equal(check("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
	                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	                       &status, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "Upgrade"));
}

static void test_connection_without_upgrade_is_refused(void **state)
{
	int status;
	char err[128];
	assert_int_equal(check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	                       "Connection: keep-alive\r\n"
	                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	                       &status, err, sizeof(err)),
	                 -1);
}

static void test_malformed_status_line_is_refused(void **state)
{
	int status = -1;
	char err[128];
	assert_int_equal(check("SSH-2.0-OpenSSH_9.2\r\n\r\n", &status, err, sizeof(err)), -1);
	assert_int_equal(status, 0);
	assert_int_equal(check("HTTP/1.1 1010 Nope\r\n\r\n", &status, err, sizeof(err)), -1);
	assert_int_equal(status, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_key_matches_rfc),
	    cmocka_unit_test(test_fresh_keys_are_distinct_base64_of_16_bytes),
	    cmocka_unit_test(test_request_carries_upgrade_headers),
	    cmocka_unit_test(test_request_too_long_is_refused),
	    cmocka_unit_test(test_valid_101_is_accepted),
	    cmocka_unit_test(test_429_is_refused_with_its_status),
	    cmocka_unit_test(test_wrong_accept_is_refused),
	    cmocka_unit_test(test_missing_accept_is_refused),
	    cmocka_unit_test(test_missing_upgrade_is_refused),
	    cmocka_unit_test(test_connection_without_upgrade_is_refused),
	    cmocka_unit_test(test_malformed_status_line_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
