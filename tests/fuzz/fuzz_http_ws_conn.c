/*
 * fuzz_http_ws_conn.c: a WebSocket connection's receive path (ws_conn on
 * wslay) driven the way the server drives it, over a bufferevent pair inside
 * one event_base: no sockets.
 *
 * The first input byte holds options; the rest is the client's byte stream,
 * either raw or built from frame records (so the fuzzer reaches masked,
 * reassembled messages without having to guess XOR masks). The stream is
 * fed in pieces of varying size, calling ws_conn_feed after each one until
 * it reports WS_CLOSED.
 *
 * Checked: every delivered text is valid UTF-8, NUL-terminated and within
 * the size limit; a peer's close code is one the RFC lets it send; what the
 * server writes back decodes as unmasked frames with no reserved bits, texts
 * in UTF-8, at most one close frame and nothing after it, a close code an
 * endpoint may send, the same code ws_close_code reports; with the echo
 * option, the texts sent back are the texts delivered, in order (all of them
 * unless a close frame went out).
 *
 * Options byte: bit 0 frame records (else raw bytes), bit 1 echo each text
 * from inside on_text, bit 2 ws_close halfway through the stream, bit 3
 * max_message 65536 (else 1024), bit 4 a ping before the first byte.
 *
 * A frame record: the frame's first byte as sent; a flags byte (bit 0
 * unmasked, bits 1-2 length form: minimal, 16-bit, 64-bit, bit 3 the length
 * field lies: the next 8 bytes are sent instead of the true length); a
 * 16-bit payload length; the payload (masked by the target).
 */
#include "http/utf8.h"
#include "http/ws.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_chunks.h"
#include "tests/fuzz/support/fuzz_input.h"
#include "tests/fuzz/support/fuzz_ws_frames.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OPTION_RECORDS   0x01
#define OPTION_ECHO      0x02
#define OPTION_CLOSE     0x04
#define OPTION_LARGE     0x08
#define OPTION_PING      0x10
#define ECHO_LOG_MAX     256
#define ECHO_LOG_BYTES   (1 << 20)
#define CLOSE_REASON_MAX 123

struct harness {
	struct event_base *base;     /* owned */
	struct bufferevent *pair[2]; /* owned: [0] the server's end, [1] the client's */
	struct ws_conn *ws;          /* owned */
	size_t max_message;
	int echo;
	char *echoed[ECHO_LOG_MAX]; /* owned copies of the texts sent back, in order */
	size_t echoed_length[ECHO_LOG_MAX];
	size_t echoed_count, echoed_bytes;
	int peer_closes; /* on_close calls */
};

static void on_text(void *arg, const char *data, size_t length)
{
	struct harness *h = arg;
	FUZZ_CHECK(data[length] == '\0');
	FUZZ_CHECK(length <= h->max_message);
	FUZZ_CHECK(utf8_is_valid(data, length));
	if (!h->echo || h->echoed_count == ECHO_LOG_MAX ||
	    h->echoed_bytes + length > ECHO_LOG_BYTES)
		return;
	if (ws_send_text(h->ws, data, length) != 0)
		return;
	char *copy = malloc(length + 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, length + 1);
	h->echoed[h->echoed_count] = copy;
	h->echoed_length[h->echoed_count] = length;
	h->echoed_count++;
	h->echoed_bytes += length;
}

static int peer_may_send(int code)
{
	return code == 1005 || (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
	       (code >= 3000 && code <= 4999);
}

static void on_close(void *arg, int code)
{
	struct harness *h = arg;
	FUZZ_CHECK(peer_may_send(code));
	h->peer_closes++;
}

static void on_activity(void *arg)
{
}

static void harness_open(struct harness *h, size_t max_message, int echo)
{
	static const struct ws_callbacks callbacks = {on_text, on_close, on_activity};
	memset(h, 0, sizeof(*h));
	h->max_message = max_message;
	h->echo = echo;
	h->base = event_base_new();
	FUZZ_CHECK(h->base != NULL);
	FUZZ_CHECK(bufferevent_pair_new(h->base, 0, h->pair) == 0);
	bufferevent_enable(h->pair[0], EV_READ | EV_WRITE);
	bufferevent_enable(h->pair[1], EV_READ | EV_WRITE);
	h->ws = ws_conn_new(h->pair[0], max_message, &callbacks, h);
	FUZZ_CHECK(h->ws != NULL);
}

static void harness_close(struct harness *h)
{
	ws_conn_free(h->ws);
	bufferevent_free(h->pair[0]);
	bufferevent_free(h->pair[1]);
	event_base_free(h->base);
	for (size_t i = 0; i < h->echoed_count; i++)
		free(h->echoed[i]);
}

/* Appends one client frame built from a record of in to stream. */
static void append_record(struct fuzz_input *in, struct evbuffer *stream)
{
	uint8_t first = fuzz_take_byte(in);
	uint8_t flags = fuzz_take_byte(in);
	size_t wanted = fuzz_take_u16(in);
	uint64_t declared_lie = 0;
	int lies = (flags & 0x08) != 0;
	for (int i = 0; lies && i < 8; i++)
		declared_lie = declared_lie << 8 | fuzz_take_byte(in);
	const uint8_t *payload;
	size_t length = fuzz_take_bytes(in, wanted, &payload);
	uint64_t declared = lies ? declared_lie : length;
	int masked = !(flags & 0x01);
	int form = (flags >> 1) & 3;
	if (form == 0 || form == 3)
		form = declared < 126 ? 0 : declared <= 0xffff ? 1 : 2;

	uint8_t head[14];
	size_t n = 0;
	head[n++] = first;
	uint8_t mask_bit = masked ? 0x80 : 0;
	if (form == 0) {
		head[n++] = mask_bit | (uint8_t)(declared & 0x7f);
	} else if (form == 1) {
		head[n++] = mask_bit | 126;
		head[n++] = (uint8_t)(declared >> 8);
		head[n++] = (uint8_t)declared;
	} else {
		head[n++] = mask_bit | 127;
		for (int shift = 56; shift >= 0; shift -= 8)
			head[n++] = (uint8_t)(declared >> shift);
	}
	/* A mask key from the frame itself keeps the stream deterministic. */
	uint8_t key[4] = {first, flags, (uint8_t)length, (uint8_t)(length >> 8)};
	if (masked) {
		memcpy(head + n, key, 4);
		n += 4;
	}
	evbuffer_add(stream, head, n);
	for (size_t i = 0; i < length; i++) {
		uint8_t byte = masked ? payload[i] ^ key[i % 4] : payload[i];
		evbuffer_add(stream, &byte, 1);
	}
}

/* Decodes everything the server wrote and checks it. */
static void check_server_output(struct harness *h)
{
	struct evbuffer *output = bufferevent_get_input(h->pair[1]);
	size_t length = evbuffer_get_length(output);
	const uint8_t *bytes = length ? evbuffer_pullup(output, -1) : NULL;
	size_t position = 0, texts = 0;
	int closed = 0;
	while (position < length) {
		FUZZ_CHECK(!closed); /* nothing after a close frame */
		struct fuzz_ws_frame frame;
		size_t size = fuzz_ws_frame_decode(bytes + position, length - position, &frame);
		FUZZ_CHECK(size > 0); /* no frame cut short */
		FUZZ_CHECK(frame.rsv == 0 && !frame.masked);
		switch (frame.opcode) {
		case 0x1:
			FUZZ_CHECK(frame.fin);
			FUZZ_CHECK(utf8_is_valid(frame.payload, (size_t)frame.length));
			if (texts < h->echoed_count) {
				FUZZ_CHECK(frame.length == h->echoed_length[texts]);
				FUZZ_CHECK(memcmp(frame.payload, h->echoed[texts],
				                  (size_t)frame.length) == 0);
			}
			texts++;
			break;
		case 0x8: {
			FUZZ_CHECK(frame.length != 1 && frame.length <= 125);
			int code = 1005;
			if (frame.length >= 2) {
				code = frame.payload[0] << 8 | frame.payload[1];
				FUZZ_CHECK(fuzz_ws_code_sendable(code));
				FUZZ_CHECK(frame.length - 2 <= CLOSE_REASON_MAX);
				FUZZ_CHECK(
				    utf8_is_valid(frame.payload + 2, (size_t)frame.length - 2));
			}
			FUZZ_CHECK(ws_close_code(h->ws) == code);
			closed = 1;
			break;
		}
		case 0x9:
		case 0xa:
			FUZZ_CHECK(frame.length <= 125 && frame.fin);
			break;
		default:
			FUZZ_CHECK(!"the server sent an opcode it never uses");
		}
		position += size;
	}
	/* Every echoed text went out, in order; a close may overtake the texts
	 * queued in the same feed (control frames go first), never reorder them. */
	FUZZ_CHECK(texts <= h->echoed_count);
	if (!closed)
		FUZZ_CHECK(texts == h->echoed_count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	uint8_t options = fuzz_take_byte(&in);
	uint8_t close_choice = fuzz_take_byte(&in);
	struct harness h;
	harness_open(&h, options & OPTION_LARGE ? 65536 : 1024, (options & OPTION_ECHO) != 0);

	struct evbuffer *stream = evbuffer_new();
	FUZZ_CHECK(stream != NULL);
	if (options & OPTION_RECORDS) {
		while (in.size > 0)
			append_record(&in, stream);
	} else {
		evbuffer_add(stream, in.data, in.size);
	}
	size_t stream_length = evbuffer_get_length(stream);
	const uint8_t *bytes = stream_length ? evbuffer_pullup(stream, -1) : NULL;

	if (options & OPTION_PING)
		FUZZ_CHECK(ws_send_ping(h.ws) == 0);
	struct fuzz_chunker chunker;
	fuzz_chunker_init(&chunker, data, size);
	enum ws_feed_result result = WS_OPEN;
	size_t fed = 0;
	int closed_by_us = 0;
	while (fed < stream_length && result != WS_CLOSED) {
		size_t piece = fuzz_chunker_next(&chunker, stream_length - fed);
		bufferevent_write(h.pair[1], bytes + fed, piece);
		fed += piece;
		event_base_loop(h.base, EVLOOP_NONBLOCK);
		result = ws_conn_feed(h.ws);
		if ((options & OPTION_CLOSE) && !closed_by_us && fed >= stream_length / 2) {
			/* Codes an endpoint may not send must go out as 1011. */
			int code = 995 + close_choice * 16;
			int was_closing = ws_is_closing(h.ws);
			ws_close(h.ws, code, "going away \xc3\xa9");
			closed_by_us = 1;
			FUZZ_CHECK(ws_is_closing(h.ws));
			if (!was_closing)
				FUZZ_CHECK(ws_close_code(h.ws) ==
				           (fuzz_ws_code_sendable(code) ? code : 1011));
			FUZZ_CHECK(ws_send_text(h.ws, "late", 4) == -1);
		}
		if (result != WS_OPEN)
			FUZZ_CHECK(ws_is_closing(h.ws));
	}
	event_base_loop(h.base, EVLOOP_NONBLOCK);
	FUZZ_CHECK(h.peer_closes <= 1);
	check_server_output(&h);

	evbuffer_free(stream);
	harness_close(&h);
	return 0;
}
