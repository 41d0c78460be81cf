/*
 * test_tls_bufferevent.c: telling a TLS client from a plain one by the first
 * byte on a new connection, over a socket pair. A handshake record (0x16) is
 * TLS, anything else is not, nothing yet is pending, a closed peer is closed,
 * and the byte stays in the socket for whoever reads next.
 */
#include "tls/tls_bufferevent.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/* A non-blocking socket pair: [0] is the server's end, [1] the client's. */
static void socket_pair(int fds[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
}

static void test_handshake_record_is_tls_and_stays_unread(void **state)
{
	(void)state;
	int fds[2];
	socket_pair(fds);
	assert_int_equal(tls_peek_first_byte(fds[0]), TLS_FIRST_BYTE_PENDING);
	const unsigned char hello[] = {0x16, 0x03, 0x01};
	assert_int_equal(write(fds[1], hello, sizeof(hello)), sizeof(hello));
	assert_int_equal(tls_peek_first_byte(fds[0]), TLS_FIRST_BYTE_HANDSHAKE);
	assert_int_equal(tls_peek_first_byte(fds[0]), TLS_FIRST_BYTE_HANDSHAKE);
	unsigned char read_back[3];
	assert_int_equal(read(fds[0], read_back, sizeof(read_back)), sizeof(read_back));
	assert_memory_equal(read_back, hello, sizeof(hello));
	close(fds[0]);
	close(fds[1]);
}

static void test_plain_http_is_other(void **state)
{
	(void)state;
	int fds[2];
	socket_pair(fds);
	assert_int_equal(write(fds[1], "GET / HTTP/1.1\r\n", 16), 16);
	assert_int_equal(tls_peek_first_byte(fds[0]), TLS_FIRST_BYTE_OTHER);
	close(fds[0]);
	close(fds[1]);
}

static void test_closed_peer_is_closed(void **state)
{
	(void)state;
	int fds[2];
	socket_pair(fds);
	close(fds[1]);
	assert_int_equal(tls_peek_first_byte(fds[0]), TLS_FIRST_BYTE_CLOSED);
	close(fds[0]);
	assert_int_equal(tls_peek_first_byte(-1), TLS_FIRST_BYTE_CLOSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_record_is_tls_and_stays_unread),
	    cmocka_unit_test(test_plain_http_is_other),
	    cmocka_unit_test(test_closed_peer_is_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
