/*
 * test_http_ws.c: the WebSocket handshake and framing as a client sees them.
 *
 * Frames go through a real bufferevent pair: the test writes client frames
 * into one end, ws_conn reads the other, and every reply is decoded from the
 * bytes the client end receives, so each close code is checked on the wire.
 */
#include "http/http_request.h"
#include "http/ws.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MAX_MESSAGE 1024

#define OP_CONTINUATION 0x0
#define OP_TEXT         0x1
#define OP_BINARY       0x2
#define OP_CLOSE        0x8
#define OP_PING         0x9
#define OP_PONG         0xa

struct fixture {
	struct event_base *base;
	struct bufferevent *pair[2]; /* [0] the server's end, [1] the client's */
	struct ws_conn *ws;
	char *last_text; /* copy of the last on_text message */
	size_t last_text_length;
	int texts;             /* on_text calls */
	int peer_close;        /* code given to on_close; 0 before */
	int activity;          /* on_activity calls */
	int send_in_callback;  /* on_text answers with ws_send_text */
	int close_in_callback; /* on_text then closes with 1008 */
};

/* A frame the server wrote. */
struct frame {
	int fin;
	int rsv;
	int opcode;
	unsigned char payload[256];
	size_t length;
};

static void on_text(void *arg, const char *data, size_t length)
{
	struct fixture *f = arg;
	assert_int_equal(data[length], '\0');
	free(f->last_text);
	f->last_text = malloc(length + 1);
	assert_non_null(f->last_text);
	memcpy(f->last_text, data, length + 1);
	f->last_text_length = length;
	f->texts++;
	if (f->send_in_callback)
		assert_int_equal(ws_send_text(f->ws, "reply", 5), 0);
	if (f->close_in_callback)
		ws_close(f->ws, 1008, "policy");
}

static void on_close(void *arg, int code)
{
	struct fixture *f = arg;
	f->peer_close = code;
}

static void on_activity(void *arg)
{
	struct fixture *f = arg;
	f->activity++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	assert_int_equal(bufferevent_pair_new(f->base, 0, f->pair), 0);
	bufferevent_enable(f->pair[0], EV_READ | EV_WRITE);
	bufferevent_enable(f->pair[1], EV_READ | EV_WRITE);
	static const struct ws_callbacks callbacks = {on_text, on_close, on_activity};
	f->ws = ws_conn_new(f->pair[0], MAX_MESSAGE, &callbacks, f);
	assert_non_null(f->ws);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ws_conn_free(f->ws);
	bufferevent_free(f->pair[0]);
	bufferevent_free(f->pair[1]);
	event_base_free(f->base);
	free(f->last_text);
	free(f);
	return 0;
}

static void pump(struct fixture *f)
{
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

static size_t server_input_length(struct fixture *f)
{
	return evbuffer_get_length(bufferevent_get_input(f->pair[0]));
}

static size_t client_input_length(struct fixture *f)
{
	pump(f);
	return evbuffer_get_length(bufferevent_get_input(f->pair[1]));
}

/* Writes raw bytes from the client and lets the server decode them. */
static enum ws_feed_result send_raw(struct fixture *f, const void *data, size_t length)
{
	bufferevent_write(f->pair[1], data, length);
	pump(f);
	return ws_conn_feed(f->ws);
}

/* Encodes one client frame (masked unless told otherwise) into out. */
static size_t encode_frame(unsigned char *out, int first_byte, int masked, uint64_t length,
                           const void *payload, size_t payload_bytes)
{
	static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
	size_t n = 0;
	out[n++] = (unsigned char)first_byte;
	unsigned char mask_bit = masked ? 0x80 : 0;
	if (length < 126) {
		out[n++] = mask_bit | (unsigned char)length;
	} else if (length <= 0xffff) {
		out[n++] = mask_bit | 126;
		out[n++] = (unsigned char)(length >> 8);
		out[n++] = (unsigned char)length;
	} else {
		out[n++] = mask_bit | 127;
		for (int shift = 56; shift >= 0; shift -= 8)
			out[n++] = (unsigned char)(length >> shift);
	}
	if (masked) {
		memcpy(out + n, key, 4);
		n += 4;
	}
	const unsigned char *bytes = payload;
	for (size_t i = 0; i < payload_bytes; i++)
		out[n++] = masked ? bytes[i] ^ key[i % 4] : bytes[i];
	return n;
}

static enum ws_feed_result send_frame(struct fixture *f, int first_byte, const void *payload,
                                      size_t length)
{
	unsigned char *frame = malloc(length + 14);
	assert_non_null(frame);
	size_t n = encode_frame(frame, first_byte, 1, length, payload, length);
	enum ws_feed_result result = send_raw(f, frame, n);
	free(frame);
	return result;
}

#define FIN 0x80

static enum ws_feed_result send_text(struct fixture *f, const char *text)
{
	return send_frame(f, FIN | OP_TEXT, text, strlen(text));
}

static enum ws_feed_result send_close(struct fixture *f, int code, const char *reason,
                                      size_t reason_length)
{
	unsigned char payload[128] = {(unsigned char)(code >> 8), (unsigned char)code};
	memcpy(payload + 2, reason, reason_length);
	return send_frame(f, FIN | OP_CLOSE, payload, reason_length + 2);
}

/* Decodes the next server frame; server frames must never be masked. */
static void read_frame(struct fixture *f, struct frame *frame)
{
	struct evbuffer *input = bufferevent_get_input(f->pair[1]);
	pump(f);
	unsigned char head[4];
	assert_true(evbuffer_get_length(input) >= 2);
	evbuffer_remove(input, head, 2);
	frame->fin = head[0] >> 7;
	frame->rsv = (head[0] >> 4) & 7;
	frame->opcode = head[0] & 0x0f;
	assert_int_equal(head[1] & 0x80, 0);
	size_t length = head[1] & 0x7f;
	if (length == 126) {
		evbuffer_remove(input, head, 2);
		length = (size_t)head[0] << 8 | head[1];
	}
	assert_true(length <= sizeof(frame->payload));
	assert_int_equal(evbuffer_remove(input, frame->payload, length), (int)length);
	frame->length = length;
}

/* The server's next frame is a close with code. */
static void expect_close(struct fixture *f, int code)
{
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_CLOSE);
	assert_true(frame.length >= 2);
	assert_int_equal(frame.payload[0] << 8 | frame.payload[1], code);
	assert_int_equal(client_input_length(f), 0);
}

/* A violation: the server closes with code and stops. */
static void expect_failed(struct fixture *f, enum ws_feed_result result, int code)
{
	assert_int_equal(result, WS_CLOSED);
	expect_close(f, code);
	assert_int_equal(ws_close_code(f->ws), code);
	assert_true(ws_is_closing(f->ws));
	assert_int_equal(f->texts, 0);
	assert_int_equal(server_input_length(f), 0);
}

/* ---- handshake ---- */

static int handshake(const char *text, char accept[29], int *status)
{
	struct evbuffer *input = evbuffer_new();
	struct http_request req;
	const char *reason = NULL;
	http_request_init(&req);
	evbuffer_add(input, text, strlen(text));
	assert_int_equal(http_request_parse(input, &req, status, &reason), HTTP_PARSE_DONE);
	int result = ws_handshake_check(&req, accept, status, &reason);
	if (result != 0)
		assert_non_null(reason);
	http_request_reset(&req);
	evbuffer_free(input);
	return result;
}

#define UPGRADE_HEAD   "GET /ws HTTP/1.1\r\nHost: example.com\r\n"
#define UPGRADE_FIELDS "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
#define RFC_KEY        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define VERSION_13     "Sec-WebSocket-Version: 13\r\n"

static void test_handshake_valid(void **state)
{
	char accept[29];
	int status = 0;
	assert_int_equal(
	    handshake(UPGRADE_HEAD UPGRADE_FIELDS RFC_KEY VERSION_13 "\r\n", accept, &status), 0);
	/* The example of RFC 6455 section 1.3. */
	assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_handshake_header_case_and_lists(void **state)
{
	char accept[29];
	int status = 0;
	assert_int_equal(handshake(UPGRADE_HEAD
	                           "upgrade: WebSocket\r\nconnection: UPGRADE\r\n" RFC_KEY
	                           "sec-websocket-version: 13\r\n\r\n",
	                           accept, &status),
	                 0);
}

static void expect_handshake_status(const char *text, int expected)
{
	char accept[29];
	int status = 0;
	assert_int_equal(handshake(text, accept, &status), -1);
	assert_int_equal(status, expected);
}

static void test_handshake_missing_key(void **state)
{
	expect_handshake_status(UPGRADE_HEAD UPGRADE_FIELDS VERSION_13 "\r\n", 400);
}

static void test_handshake_short_key(void **state)
{
	expect_handshake_status(UPGRADE_HEAD UPGRADE_FIELDS
	                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\n" VERSION_13 "\r\n",
	                        400);
}

static void test_handshake_key_of_18_bytes(void **state)
{
	/* 24 characters without padding decode to 18 bytes, not 16. */
	expect_handshake_status(UPGRADE_HEAD UPGRADE_FIELDS
	                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQAA\r\n" VERSION_13 "\r\n",
	                        400);
}

static void test_handshake_two_keys(void **state)
{
	expect_handshake_status(UPGRADE_HEAD UPGRADE_FIELDS RFC_KEY RFC_KEY VERSION_13 "\r\n", 400);
}

static void test_handshake_key_not_base64(void **state)
{
	expect_handshake_status(UPGRADE_HEAD UPGRADE_FIELDS
	                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ!!\r\n" VERSION_13 "\r\n",
	                        400);
}

static void test_handshake_version_12_426(void **state)
{
	expect_handshake_status(
	    UPGRADE_HEAD UPGRADE_FIELDS RFC_KEY "Sec-WebSocket-Version: 12\r\n\r\n", 426);
}

static void test_handshake_missing_version(void **state)
{
	expect_handshake_status(UPGRADE_HEAD UPGRADE_FIELDS RFC_KEY "\r\n", 400);
}

static void test_handshake_missing_upgrade(void **state)
{
	expect_handshake_status(UPGRADE_HEAD "Connection: Upgrade\r\n" RFC_KEY VERSION_13 "\r\n",
	                        400);
}

static void test_handshake_missing_connection_upgrade(void **state)
{
	expect_handshake_status(
	    UPGRADE_HEAD "Upgrade: websocket\r\nConnection: keep-alive\r\n" RFC_KEY VERSION_13
	                 "\r\n",
	    400);
}

static void test_handshake_post(void **state)
{
	expect_handshake_status(
	    "POST /ws HTTP/1.1\r\nHost: a\r\n" UPGRADE_FIELDS RFC_KEY VERSION_13 "\r\n", 400);
}

static void test_handshake_http10(void **state)
{
	expect_handshake_status(
	    "GET /ws HTTP/1.0\r\nHost: a\r\n" UPGRADE_FIELDS RFC_KEY VERSION_13 "\r\n", 400);
}

static void test_handshake_response(void **state)
{
	struct fixture *f = *state;
	ws_handshake_respond(f->pair[0], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	pump(f);
	struct evbuffer *input = bufferevent_get_input(f->pair[1]);
	size_t length = evbuffer_get_length(input);
	char text[256];
	assert_true(length < sizeof(text));
	evbuffer_remove(input, text, length);
	text[length] = '\0';
	assert_string_equal(text, "HTTP/1.1 101 Switching Protocols\r\n"
	                          "Upgrade: websocket\r\n"
	                          "Connection: Upgrade\r\n"
	                          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	                          "\r\n");
}

/* ---- messages ---- */

static void test_masked_text_delivered(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_text(f, "{\"type\":\"ping\"}"), WS_OPEN);
	assert_int_equal(f->texts, 1);
	assert_string_equal(f->last_text, "{\"type\":\"ping\"}");
	assert_int_equal(f->last_text_length, 15);
	assert_int_equal(f->activity, 1);
	assert_int_equal(client_input_length(f), 0);
}

static void test_empty_text_delivered(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_text(f, ""), WS_OPEN);
	assert_int_equal(f->texts, 1);
	assert_string_equal(f->last_text, "");
}

static void test_text_in_pieces_delivered_once(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[64];
	size_t n = encode_frame(frame, FIN | OP_TEXT, 1, 5, "hello", 5);
	/* Split inside the header, then inside the payload. */
	assert_int_equal(send_raw(f, frame, 1), WS_OPEN);
	assert_int_equal(send_raw(f, frame + 1, 4), WS_OPEN);
	assert_int_equal(send_raw(f, frame + 5, 3), WS_OPEN);
	assert_int_equal(f->texts, 0);
	assert_int_equal(send_raw(f, frame + 8, n - 8), WS_OPEN);
	assert_int_equal(f->texts, 1);
	assert_string_equal(f->last_text, "hello");
}

static void test_two_messages_in_one_read(void **state)
{
	struct fixture *f = *state;
	unsigned char frames[64];
	size_t n = encode_frame(frames, FIN | OP_TEXT, 1, 3, "one", 3);
	n += encode_frame(frames + n, FIN | OP_TEXT, 1, 3, "two", 3);
	assert_int_equal(send_raw(f, frames, n), WS_OPEN);
	assert_int_equal(f->texts, 2);
	assert_string_equal(f->last_text, "two");
}

static void test_fragmented_text_reassembled(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_frame(f, OP_TEXT, "hel", 3), WS_OPEN);
	assert_int_equal(send_frame(f, OP_CONTINUATION, "lo ", 3), WS_OPEN);
	assert_int_equal(f->texts, 0);
	assert_int_equal(send_frame(f, FIN | OP_CONTINUATION, "world", 5), WS_OPEN);
	assert_int_equal(f->texts, 1);
	assert_string_equal(f->last_text, "hello world");
	assert_int_equal(f->activity, 3);
}

static void test_fragment_splits_character(void **state)
{
	struct fixture *f = *state;
	/* U+20AC EURO SIGN split across two frames is still valid text. */
	assert_int_equal(send_frame(f, OP_TEXT, "\xe2\x82", 2), WS_OPEN);
	assert_int_equal(send_frame(f, FIN | OP_CONTINUATION, "\xac", 1), WS_OPEN);
	assert_string_equal(f->last_text, "\xe2\x82\xac");
}

static void test_ping_answered_with_pong(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_frame(f, FIN | OP_PING, "abc", 3), WS_OPEN);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_PONG);
	assert_int_equal(frame.fin, 1);
	assert_int_equal(frame.length, 3);
	assert_memory_equal(frame.payload, "abc", 3);
	assert_int_equal(f->activity, 1);
}

static void test_ping_between_fragments(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_frame(f, OP_TEXT, "a", 1), WS_OPEN);
	assert_int_equal(send_frame(f, FIN | OP_PING, "", 0), WS_OPEN);
	assert_int_equal(send_frame(f, FIN | OP_CONTINUATION, "b", 1), WS_OPEN);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_PONG);
	assert_string_equal(f->last_text, "ab");
}

static void test_pong_counts_as_activity(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_frame(f, FIN | OP_PONG, "", 0), WS_OPEN);
	assert_int_equal(f->activity, 1);
	assert_int_equal(client_input_length(f), 0);
}

static void test_message_at_limit_accepted(void **state)
{
	struct fixture *f = *state;
	char *text = malloc(MAX_MESSAGE + 1);
	memset(text, 'x', MAX_MESSAGE);
	text[MAX_MESSAGE] = '\0';
	assert_int_equal(send_text(f, text), WS_OPEN);
	assert_int_equal(f->last_text_length, MAX_MESSAGE);
	free(text);
}

static void test_message_over_limit_1009(void **state)
{
	struct fixture *f = *state;
	char *text = malloc(MAX_MESSAGE + 2);
	memset(text, 'x', MAX_MESSAGE + 1);
	text[MAX_MESSAGE + 1] = '\0';
	expect_failed(f, send_text(f, text), WS_CLOSE_MESSAGE_TOO_BIG);
	free(text);
}

static void test_fragments_over_limit_1009(void **state)
{
	struct fixture *f = *state;
	char half[MAX_MESSAGE / 2 + 1];
	memset(half, 'x', sizeof(half));
	assert_int_equal(send_frame(f, OP_TEXT, half, sizeof(half)), WS_OPEN);
	expect_failed(f, send_frame(f, FIN | OP_CONTINUATION, half, sizeof(half)),
	              WS_CLOSE_MESSAGE_TOO_BIG);
}

static void test_huge_length_without_payload_1009(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[16];
	/* 2^63 - 1 announced, nothing sent: refused from the header. */
	size_t n = encode_frame(frame, FIN | OP_TEXT, 1, UINT64_MAX >> 1, "", 0);
	expect_failed(f, send_raw(f, frame, n), WS_CLOSE_MESSAGE_TOO_BIG);
}

static void test_length_with_high_bit_1002(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[16];
	size_t n = encode_frame(frame, FIN | OP_TEXT, 1, UINT64_C(1) << 63, "", 0);
	expect_failed(f, send_raw(f, frame, n), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_non_minimal_length_1002(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[] = {FIN | OP_TEXT, 0x80 | 126, 0,   5,   0,  0, 0, 0,
	                         'h',           'e',        'l', 'l', 'o'};
	expect_failed(f, send_raw(f, frame, sizeof(frame)), WS_CLOSE_PROTOCOL_ERROR);
}

/* ---- violations ---- */

static void test_unmasked_frame_1002(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[16];
	size_t n = encode_frame(frame, FIN | OP_TEXT, 0, 2, "hi", 2);
	expect_failed(f, send_raw(f, frame, n), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_rsv1_1002(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, FIN | 0x40 | OP_TEXT, "hi", 2), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_rsv3_1002(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, FIN | 0x10 | OP_TEXT, "hi", 2), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_opcode_3_1002(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, FIN | 0x3, "", 0), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_opcode_11_1002(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, FIN | 0xb, "", 0), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_fragmented_ping_1002(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, OP_PING, "", 0), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_ping_over_125_bytes_1002(void **state)
{
	struct fixture *f = *state;
	char payload[126] = {0};
	expect_failed(f, send_frame(f, FIN | OP_PING, payload, sizeof(payload)),
	              WS_CLOSE_PROTOCOL_ERROR);
}

static void test_continuation_without_start_1002(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, FIN | OP_CONTINUATION, "x", 1), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_new_message_inside_fragmented_one_1002(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_frame(f, OP_TEXT, "x", 1), WS_OPEN);
	expect_failed(f, send_frame(f, FIN | OP_TEXT, "y", 1), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_binary_1003(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, FIN | OP_BINARY, "\x01", 1), WS_CLOSE_UNSUPPORTED_DATA);
}

static void test_binary_refused_at_header(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[16];
	/* Only the header of a 1000-byte binary frame: no need to wait. */
	size_t n = encode_frame(frame, FIN | OP_BINARY, 1, 1000, "", 0);
	expect_failed(f, send_raw(f, frame, n), WS_CLOSE_UNSUPPORTED_DATA);
}

static void expect_invalid_text(void **state, const char *bytes, size_t length)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, FIN | OP_TEXT, bytes, length), WS_CLOSE_INVALID_PAYLOAD);
}

static void test_invalid_utf8_1007(void **state)
{
	expect_invalid_text(state, "ok\xff", 3);
}

static void test_overlong_utf8_1007(void **state)
{
	expect_invalid_text(state, "\xc0\xaf", 2);
}

static void test_surrogate_utf8_1007(void **state)
{
	expect_invalid_text(state, "\xed\xa0\x80", 3);
}

static void test_beyond_unicode_utf8_1007(void **state)
{
	expect_invalid_text(state, "\xf4\x90\x80\x80", 4);
}

static void test_truncated_utf8_1007(void **state)
{
	expect_invalid_text(state, "a\xe2\x82", 3);
}

static void test_truncated_utf8_across_fragments_1007(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_frame(f, OP_TEXT, "\xe2\x82", 2), WS_OPEN);
	expect_failed(f, send_frame(f, FIN | OP_CONTINUATION, "a", 1), WS_CLOSE_INVALID_PAYLOAD);
}

/* ---- closing ---- */

static void expect_close_code_refused(void **state, int code)
{
	struct fixture *f = *state;
	expect_failed(f, send_close(f, code, "", 0), WS_CLOSE_PROTOCOL_ERROR);
	assert_int_equal(f->peer_close, 0);
}

static void test_close_code_1005_on_wire_1002(void **state)
{
	expect_close_code_refused(state, 1005);
}

static void test_close_code_999_1002(void **state)
{
	expect_close_code_refused(state, 999);
}

static void test_close_code_5000_1002(void **state)
{
	expect_close_code_refused(state, 5000);
}

static void test_close_code_1004_1002(void **state)
{
	expect_close_code_refused(state, 1004);
}

static void test_close_code_1006_1002(void **state)
{
	expect_close_code_refused(state, 1006);
}

static void test_close_code_1015_1002(void **state)
{
	expect_close_code_refused(state, 1015);
}

static void test_close_code_2999_1002(void **state)
{
	expect_close_code_refused(state, 2999);
}

static void test_close_one_byte_payload_1002(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_frame(f, FIN | OP_CLOSE, "\x03", 1), WS_CLOSE_PROTOCOL_ERROR);
}

static void test_close_reason_invalid_utf8_1007(void **state)
{
	struct fixture *f = *state;
	expect_failed(f, send_close(f, 1000, "\xff", 1), WS_CLOSE_INVALID_PAYLOAD);
}

/* Found by fuzz_http_ws_conn: wslay skips the first two bytes of every
 * piece of a close frame it reads when checking the reason's UTF-8, so a
 * reason whose bad byte starts a later piece was echoed back unchecked. */
static void test_close_reason_invalid_utf8_in_pieces_1007(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[64];
	size_t n = encode_frame(frame, FIN | OP_CLOSE, 1, 5, "\x03\xe8ok\xf2", 5);
	assert_int_equal(send_raw(f, frame, n - 1), WS_OPEN);
	expect_failed(f, send_raw(f, frame + n - 1, 1), WS_CLOSE_INVALID_PAYLOAD);
}

static void test_valid_close_echoed(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_close(f, 1000, "bye", 3), WS_CLOSED);
	assert_int_equal(f->peer_close, 1000);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_CLOSE);
	assert_int_equal(frame.payload[0] << 8 | frame.payload[1], 1000);
	assert_true(ws_is_closing(f->ws));
}

static void test_application_close_code_echoed(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_close(f, 4999, "", 0), WS_CLOSED);
	assert_int_equal(f->peer_close, 4999);
	expect_close(f, 4999);
}

static void test_empty_close_reported_as_1005(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_frame(f, FIN | OP_CLOSE, "", 0), WS_CLOSED);
	assert_int_equal(f->peer_close, 1005);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_CLOSE);
	assert_int_equal(frame.length, 0);
}

static void test_data_after_close_ignored(void **state)
{
	struct fixture *f = *state;
	unsigned char frames[64];
	size_t n = encode_frame(frames, FIN | OP_CLOSE, 1, 2, "\x03\xe8", 2);
	n += encode_frame(frames + n, FIN | OP_TEXT, 1, 5, "after", 5);
	assert_int_equal(send_raw(f, frames, n), WS_CLOSED);
	assert_int_equal(f->texts, 0);
	expect_close(f, 1000);
	assert_int_equal(server_input_length(f), 0);
	assert_int_equal(send_text(f, "more"), WS_CLOSED);
	assert_int_equal(f->texts, 0);
	assert_int_equal(server_input_length(f), 0);
}

static void test_server_close_then_peer_echo(void **state)
{
	struct fixture *f = *state;
	ws_close(f->ws, WS_CLOSE_UNAUTHORIZED, "token expired");
	assert_true(ws_is_closing(f->ws));
	assert_int_equal(ws_close_code(f->ws), WS_CLOSE_UNAUTHORIZED);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_CLOSE);
	assert_int_equal(frame.payload[0] << 8 | frame.payload[1], WS_CLOSE_UNAUTHORIZED);
	assert_int_equal(frame.length, 2 + strlen("token expired"));
	assert_memory_equal(frame.payload + 2, "token expired", frame.length - 2);

	/* Messages racing our close are not delivered. */
	assert_int_equal(send_text(f, "late"), WS_CLOSING);
	assert_int_equal(f->texts, 0);
	assert_int_equal(send_close(f, WS_CLOSE_UNAUTHORIZED, "", 0), WS_CLOSED);
	assert_int_equal(f->peer_close, WS_CLOSE_UNAUTHORIZED);
	/* The peer's echo is not echoed back. */
	assert_int_equal(client_input_length(f), 0);
}

static void test_send_after_close_refused(void **state)
{
	struct fixture *f = *state;
	ws_close(f->ws, WS_CLOSE_GOING_AWAY, "");
	assert_int_equal(ws_send_text(f->ws, "x", 1), -1);
	assert_int_equal(ws_send_ping(f->ws), -1);
	expect_close(f, WS_CLOSE_GOING_AWAY);
	/* A second close is not sent. */
	ws_close(f->ws, WS_CLOSE_NORMAL, "");
	assert_int_equal(client_input_length(f), 0);
	assert_int_equal(ws_close_code(f->ws), WS_CLOSE_GOING_AWAY);
}

static void test_send_after_peer_close_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_close(f, 1000, "", 0), WS_CLOSED);
	assert_int_equal(ws_send_text(f->ws, "x", 1), -1);
}

static void test_close_reason_truncated_on_character(void **state)
{
	struct fixture *f = *state;
	char reason[201];
	/* "ab" then two-byte characters: the 123-byte limit falls in the middle
	 * of the one at bytes 122-123, which is dropped whole. */
	reason[0] = 'a';
	reason[1] = 'b';
	for (size_t i = 2; i + 1 < sizeof(reason); i += 2) {
		reason[i] = (char)0xc3;
		reason[i + 1] = (char)0xa9;
	}
	reason[sizeof(reason) - 1] = '\0';
	ws_close(f->ws, WS_CLOSE_POLICY_VIOLATION, reason);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_CLOSE);
	assert_int_equal(frame.length, 2 + 122);
	assert_memory_equal(frame.payload + 2, reason, 122);
}

static void test_close_with_unsendable_code_sends_1011(void **state)
{
	struct fixture *f = *state;
	ws_close(f->ws, 1005, "x");
	expect_close(f, WS_CLOSE_INTERNAL_ERROR);
}

static void test_close_code_zero_before_close(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws_close_code(f->ws), 0);
	assert_false(ws_is_closing(f->ws));
}

/* ---- sending ---- */

static void test_send_text_frame(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws_send_text(f->ws, "{\"a\":1}", 7), 0);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.fin, 1);
	assert_int_equal(frame.rsv, 0);
	assert_int_equal(frame.opcode, OP_TEXT);
	assert_int_equal(frame.length, 7);
	assert_memory_equal(frame.payload, "{\"a\":1}", 7);
}

static void test_send_invalid_utf8_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws_send_text(f->ws, "\xff", 1), -1);
	assert_int_equal(client_input_length(f), 0);
	assert_false(ws_is_closing(f->ws));
}

static void test_send_ping_frame(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws_send_ping(f->ws), 0);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_PING);
}

/* Lengths of 126 and over take the 16-bit and 64-bit encodings. */
static void test_send_long_text_frames(void **state)
{
	struct fixture *f = *state;
	char text[200];
	memset(text, 'x', sizeof(text));
	assert_int_equal(ws_send_text(f->ws, text, sizeof(text)), 0);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.fin, 1);
	assert_int_equal(frame.opcode, OP_TEXT);
	assert_int_equal(frame.length, sizeof(text));
	assert_memory_equal(frame.payload, text, sizeof(text));

	size_t length = 70000;
	char *big = malloc(length);
	assert_non_null(big);
	memset(big, 'y', length);
	assert_int_equal(ws_send_text(f->ws, big, length), 0);
	struct evbuffer *input = bufferevent_get_input(f->pair[1]);
	pump(f);
	assert_int_equal(evbuffer_get_length(input), 10 + length);
	unsigned char head[10];
	evbuffer_remove(input, head, sizeof(head));
	static const unsigned char expected[10] = {0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70};
	assert_memory_equal(head, expected, sizeof(head));
	unsigned char *payload = evbuffer_pullup(input, -1);
	assert_memory_equal(payload, big, length);
	free(big);
}

/* A message in fragments is held across sends made between them. */
static void test_sends_between_fragments(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(send_frame(f, OP_TEXT, "a", 1), WS_OPEN);
	assert_int_equal(ws_send_text(f->ws, "x", 1), 0);
	assert_int_equal(ws_send_ping(f->ws), 0);
	assert_int_equal(send_frame(f, FIN | OP_CONTINUATION, "b", 1), WS_OPEN);
	assert_int_equal(f->texts, 1);
	assert_string_equal(f->last_text, "ab");
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_TEXT);
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_PING);
	assert_int_equal(client_input_length(f), 0);
	assert_false(ws_is_closing(f->ws));
}

/* So is a frame that arrives in pieces. */
static void test_sends_between_pieces_of_a_frame(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[64];
	size_t n = encode_frame(frame, FIN | OP_TEXT, 1, 5, "hello", 5);
	assert_int_equal(send_raw(f, frame, 8), WS_OPEN);
	assert_int_equal(ws_send_text(f->ws, "x", 1), 0);
	assert_int_equal(ws_send_ping(f->ws), 0);
	assert_int_equal(send_raw(f, frame + 8, n - 8), WS_OPEN);
	assert_int_equal(f->texts, 1);
	assert_string_equal(f->last_text, "hello");
	assert_false(ws_is_closing(f->ws));
}

/* A close decided while reading ends delivery: the replies already sent
 * go first, then the close; later messages are not delivered. */
static void test_close_in_callback_stops_delivery(void **state)
{
	struct fixture *f = *state;
	f->send_in_callback = 1;
	f->close_in_callback = 1;
	unsigned char frames[64];
	size_t n = encode_frame(frames, FIN | OP_TEXT, 1, 3, "one", 3);
	n += encode_frame(frames + n, FIN | OP_TEXT, 1, 3, "two", 3);
	assert_int_equal(send_raw(f, frames, n), WS_CLOSING);
	assert_int_equal(f->texts, 1);
	assert_string_equal(f->last_text, "one");
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_TEXT);
	assert_memory_equal(frame.payload, "reply", 5);
	expect_close(f, 1008);
	assert_int_equal(ws_close_code(f->ws), 1008);
}

static void test_reply_from_callback(void **state)
{
	struct fixture *f = *state;
	f->send_in_callback = 1;
	assert_int_equal(send_text(f, "q"), WS_OPEN);
	struct frame frame;
	read_frame(f, &frame);
	assert_int_equal(frame.opcode, OP_TEXT);
	assert_memory_equal(frame.payload, "reply", 5);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_valid),
	    cmocka_unit_test(test_handshake_header_case_and_lists),
	    cmocka_unit_test(test_handshake_missing_key),
	    cmocka_unit_test(test_handshake_short_key),
	    cmocka_unit_test(test_handshake_key_of_18_bytes),
	    cmocka_unit_test(test_handshake_two_keys),
	    cmocka_unit_test(test_handshake_key_not_base64),
	    cmocka_unit_test(test_handshake_version_12_426),
	    cmocka_unit_test(test_handshake_missing_version),
	    cmocka_unit_test(test_handshake_missing_upgrade),
	    cmocka_unit_test(test_handshake_missing_connection_upgrade),
	    cmocka_unit_test(test_handshake_post),
	    cmocka_unit_test(test_handshake_http10),
	    T(test_handshake_response),
	    T(test_masked_text_delivered),
	    T(test_empty_text_delivered),
	    T(test_text_in_pieces_delivered_once),
	    T(test_two_messages_in_one_read),
	    T(test_fragmented_text_reassembled),
	    T(test_fragment_splits_character),
	    T(test_ping_answered_with_pong),
	    T(test_ping_between_fragments),
	    T(test_pong_counts_as_activity),
	    T(test_message_at_limit_accepted),
	    T(test_message_over_limit_1009),
	    T(test_fragments_over_limit_1009),
	    T(test_huge_length_without_payload_1009),
	    T(test_length_with_high_bit_1002),
	    T(test_non_minimal_length_1002),
	    T(test_unmasked_frame_1002),
	    T(test_rsv1_1002),
	    T(test_rsv3_1002),
	    T(test_opcode_3_1002),
	    T(test_opcode_11_1002),
	    T(test_fragmented_ping_1002),
	    T(test_ping_over_125_bytes_1002),
	    T(test_continuation_without_start_1002),
	    T(test_new_message_inside_fragmented_one_1002),
	    T(test_binary_1003),
	    T(test_binary_refused_at_header),
	    T(test_invalid_utf8_1007),
	    T(test_overlong_utf8_1007),
	    T(test_surrogate_utf8_1007),
	    T(test_beyond_unicode_utf8_1007),
	    T(test_truncated_utf8_1007),
	    T(test_truncated_utf8_across_fragments_1007),
	    T(test_close_code_1005_on_wire_1002),
	    T(test_close_code_999_1002),
	    T(test_close_code_5000_1002),
	    T(test_close_code_1004_1002),
	    T(test_close_code_1006_1002),
	    T(test_close_code_1015_1002),
	    T(test_close_code_2999_1002),
	    T(test_close_one_byte_payload_1002),
	    T(test_close_reason_invalid_utf8_1007),
	    T(test_close_reason_invalid_utf8_in_pieces_1007),
	    T(test_valid_close_echoed),
	    T(test_application_close_code_echoed),
	    T(test_empty_close_reported_as_1005),
	    T(test_data_after_close_ignored),
	    T(test_server_close_then_peer_echo),
	    T(test_send_after_close_refused),
	    T(test_send_after_peer_close_refused),
	    T(test_close_reason_truncated_on_character),
	    T(test_close_with_unsendable_code_sends_1011),
	    T(test_close_code_zero_before_close),
	    T(test_send_text_frame),
	    T(test_send_invalid_utf8_refused),
	    T(test_send_ping_frame),
	    T(test_send_long_text_frames),
	    T(test_sends_between_fragments),
	    T(test_sends_between_pieces_of_a_frame),
	    T(test_close_in_callback_stops_delivery),
	    T(test_reply_from_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
