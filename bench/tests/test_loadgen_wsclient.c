/*
 * test_loadgen_wsclient.c: the generator's WebSocket client against a
 * scripted server on a loopback socket (a thread with blocking I/O, so the
 * server's bytes are exactly what the test says). Covers what the benchmark
 * relies on: frames that arrive right behind the 101, masked client frames,
 * close codes reported to the owner, and refusals reported as failures.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "bench/loadgen/handshake.h"
#include "bench/loadgen/wsclient.h"

enum script { SCRIPT_TALK_AND_CLOSE, SCRIPT_REFUSE_429, SCRIPT_HANG_UP };

struct server {
	int listen_fd;
	uint16_t port;
	enum script script;
	int client_frame_masked; /* set by the server thread */
	char client_text[64];    /* what the client sent, unmasked */
	int client_close_code;   /* from the client's close frame */
	char request_line[256];  /* the upgrade request's first line */
};

struct client {
	struct event_base *base;
	int opened;
	char text[64];
	int end_code;
	char end_reason[128];
	int ended;
	struct bench_ws *ws;
};

static int read_exact(int fd, void *buf, size_t length)
{
	char *p = buf;
	while (length > 0) {
		ssize_t n = read(fd, p, length);
		if (n <= 0)
			return -1;
		p += n;
		length -= (size_t)n;
	}
	return 0;
}

/* Reads one small client frame; fills payload (unmasked). Returns its opcode. */
static int read_client_frame(int fd, int *masked, char *payload, size_t *length)
{
	unsigned char header[2], mask[4];
	if (read_exact(fd, header, 2) != 0)
		return -1;
	*masked = (header[1] & 0x80) != 0;
	*length = header[1] & 0x7f;
	if (*length >= 126 || (*masked && read_exact(fd, mask, 4) != 0) ||
	    read_exact(fd, payload, *length) != 0)
		return -1;
	for (size_t i = 0; *masked && i < *length; i++)
		payload[i] ^= (char)mask[i % 4];
	return header[0] & 0x0f;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	/* Bounded waits: a broken client must fail the test, not hang it. */
	struct pollfd pending = {.fd = s->listen_fd, .events = POLLIN};
	if (poll(&pending, 1, 3000) != 1)
		return NULL;
	int fd = accept(s->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	struct timeval limit = {.tv_sec = 3};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	char request[2048] = "";
	size_t used = 0;
	while (used < sizeof(request) - 1 && !strstr(request, "\r\n\r\n")) {
		ssize_t n = read(fd, request + used, sizeof(request) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		request[used] = '\0';
	}
	snprintf(s->request_line, sizeof(s->request_line), "%.*s", (int)strcspn(request, "\r\n"),
	         request);
	if (s->script == SCRIPT_REFUSE_429) {
		const char refusal[] =
		    "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n";
		(void)!write(fd, refusal, sizeof(refusal) - 1);
	} else if (s->script == SCRIPT_TALK_AND_CLOSE) {
		char key[BENCH_HANDSHAKE_KEY_SIZE] = "";
		const char *k = strstr(request, "Sec-WebSocket-Key: ");
		if (k != NULL)
			sscanf(k + 19, "%24s", key);
		char accept[BENCH_HANDSHAKE_ACCEPT_SIZE];
		bench_handshake_accept(key, accept);
		char response[512];
		int n = snprintf(response, sizeof(response),
		                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
		                 "\x81\x05hello",
		                 accept);
		(void)!write(fd, response, (size_t)n);
		char payload[128];
		size_t length;
		if (read_client_frame(fd, &s->client_frame_masked, payload, &length) == 1) {
			memcpy(s->client_text, payload, length < 63 ? length : 63);
		}
		const char close_frame[] = "\x88\x0f\x11\x31token expired"; /* 4401 */
		(void)!write(fd, close_frame, sizeof(close_frame) - 1);
		int masked;
		if (read_client_frame(fd, &masked, payload, &length) == 8 && length >= 2)
			s->client_close_code =
			    ((unsigned char)payload[0] << 8) | (unsigned char)payload[1];
	}
	close(fd);
	return NULL;
}

static void on_open(void *arg)
{
	struct client *c = arg;
	c->opened = 1;
}

static void on_text(void *arg, const char *data, size_t length)
{
	struct client *c = arg;
	memcpy(c->text, data, length < 63 ? length : 63);
	bench_ws_send_text(c->ws, "from-client", 11);
}

static void on_end(void *arg, int close_code, const char *reason)
{
	struct client *c = arg;
	c->ended++;
	c->end_code = close_code;
	snprintf(c->end_reason, sizeof(c->end_reason), "%s", reason);
	event_base_loopbreak(c->base);
}

static const struct bench_ws_callbacks callbacks = {
    .on_open = on_open,
    .on_text = on_text,
    .on_end = on_end,
};

/* Runs one client against a server following script; fills c and s. */
static void run(enum script script, struct server *s, struct client *c)
{
	memset(s, 0, sizeof(*s));
	memset(c, 0, sizeof(*c));
	s->script = script;
	s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->listen_fd >= 0);
	struct sockaddr_in address = {.sin_family = AF_INET,
	                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&address, sizeof(address)), 0);
	socklen_t size = sizeof(address);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&address, &size), 0);
	assert_int_equal(listen(s->listen_fd, 4), 0);
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, serve, s), 0);

	struct bench_ws_target target = {
	    .server = address,
	    .source = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1)},
	    .host = "127.0.0.1",
	    .path = "/peerjs?key=peerjs&token=t",
	    .path_suffix = "&id=b1-0",
	};
	c->base = event_base_new();
	assert_non_null(c->base);
	char err[128];
	c->ws = bench_ws_connect(c->base, &target, &callbacks, c, err, sizeof(err));
	assert_non_null(c->ws);
	struct timeval limit = {.tv_sec = 5};
	event_base_loopexit(c->base, &limit); /* the test must end even if the client hangs */
	event_base_dispatch(c->base);
	pthread_join(thread, NULL);
	bench_ws_free(c->ws);
	event_base_free(c->base);
	close(s->listen_fd);
}

static void test_message_behind_101_is_delivered(void **state)
{
	struct server s;
	struct client c;
	run(SCRIPT_TALK_AND_CLOSE, &s, &c);
	assert_int_equal(c.opened, 1);
	assert_string_equal(c.text, "hello");
}

static void test_request_path_is_path_then_suffix(void **state)
{
	struct server s;
	struct client c;
	run(SCRIPT_TALK_AND_CLOSE, &s, &c);
	assert_string_equal(s.request_line, "GET /peerjs?key=peerjs&token=t&id=b1-0 HTTP/1.1");
}

static void test_client_frames_are_masked(void **state)
{
	struct server s;
	struct client c;
	run(SCRIPT_TALK_AND_CLOSE, &s, &c);
	assert_int_equal(s.client_frame_masked, 1);
	assert_string_equal(s.client_text, "from-client");
}

static void test_server_close_code_reaches_owner_once(void **state)
{
	struct server s;
	struct client c;
	run(SCRIPT_TALK_AND_CLOSE, &s, &c);
	assert_int_equal(c.ended, 1);
	assert_int_equal(c.end_code, 4401);
	assert_int_equal(s.client_close_code, 4401); /* the client echoed the close */
}

static void test_refusal_ends_without_opening(void **state)
{
	struct server s;
	struct client c;
	run(SCRIPT_REFUSE_429, &s, &c);
	assert_int_equal(c.opened, 0);
	assert_int_equal(c.ended, 1);
	assert_non_null(strstr(c.end_reason, "429"));
}

static void test_hang_up_during_handshake_ends_without_opening(void **state)
{
	struct server s;
	struct client c;
	run(SCRIPT_HANG_UP, &s, &c);
	assert_int_equal(c.opened, 0);
	assert_int_equal(c.ended, 1);
	assert_int_equal(c.end_code, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_message_behind_101_is_delivered),
	    cmocka_unit_test(test_request_path_is_path_then_suffix),
	    cmocka_unit_test(test_client_frames_are_masked),
	    cmocka_unit_test(test_server_close_code_reaches_owner_once),
	    cmocka_unit_test(test_refusal_ends_without_opening),
	    cmocka_unit_test(test_hang_up_during_handshake_ends_without_opening),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
