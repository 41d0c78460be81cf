/*
 * fuzz_http_ws_frame.c: the WebSocket frame header checks that run before
 * wslay sees a frame (ws_frame_inspect).
 *
 * The header is decoded again here, straight from RFC 6455 section 5.2, and
 * the verdict must match the rules: an accepted header is decoded exactly as
 * written, is no binary frame, has a control frame final and short, a
 * minimally encoded length and a data length within the limit; a refusal
 * carries the close code the rule calls for. The verdict may not depend on
 * bytes past the header: every prefix shorter than the header is
 * incomplete, and every longer one gives the same answer.
 */
#include "http/ws_frame.h"
#include "tests/fuzz/support/fuzz_check.h"

#include <stdint.h>
#include <string.h>

#define OPCODE_BINARY 0x2
#define OPCODE_CLOSE  0x8

/* The header as the RFC defines it; 0 when data is too short for it. */
static int decode_head(const uint8_t *data, size_t size, struct ws_frame_head *head,
                       int *length_bytes)
{
	if (size < 2)
		return 0;
	head->fin = data[0] >> 7;
	head->opcode = data[0] & 0x0f;
	head->masked = data[1] >> 7;
	int short_length = data[1] & 0x7f;
	*length_bytes = short_length == 126 ? 2 : short_length == 127 ? 8 : 0;
	head->head_length = 2 + (size_t)*length_bytes + (head->masked ? 4 : 0);
	if (size < head->head_length)
		return 0;
	head->payload_length = (uint64_t)short_length;
	if (*length_bytes) {
		head->payload_length = 0;
		for (int i = 0; i < *length_bytes; i++)
			head->payload_length = head->payload_length << 8 | data[2 + i];
	}
	return 1;
}

static void check_verdict(const uint8_t *data, size_t size, size_t max_message)
{
	struct ws_frame_head head, expected;
	memset(&head, 0, sizeof(head));
	int close_code = 0, length_bytes = 0;
	const char *reason = NULL;
	enum ws_frame_verdict verdict =
	    ws_frame_inspect(data, size, max_message, &head, &close_code, &reason);

	if (!decode_head(data, size, &expected, &length_bytes)) {
		FUZZ_CHECK(verdict == WS_FRAME_INCOMPLETE);
		return;
	}
	FUZZ_CHECK(verdict != WS_FRAME_INCOMPLETE);
	int control = (expected.opcode & 0x8) != 0;
	int too_long_control = control && (data[1] & 0x7f) > 125;
	int not_minimal = (length_bytes == 2 && expected.payload_length < 126) ||
	                  (length_bytes == 8 && expected.payload_length <= 0xffff);
	int top_bit = length_bytes == 8 && (expected.payload_length >> 63) != 0;
	int one_byte_close = expected.opcode == OPCODE_CLOSE && expected.payload_length == 1;
	int too_big = !control && expected.payload_length > max_message;
	int protocol_error = (control && (!expected.fin || too_long_control || one_byte_close)) ||
	                     top_bit || not_minimal;

	if (verdict == WS_FRAME_ACCEPTED) {
		FUZZ_CHECK(head.fin == expected.fin && head.opcode == expected.opcode);
		FUZZ_CHECK(head.masked == expected.masked);
		FUZZ_CHECK(head.head_length == expected.head_length);
		FUZZ_CHECK(head.head_length >= 2 && head.head_length <= WS_FRAME_HEAD_MAX);
		FUZZ_CHECK(head.payload_length == expected.payload_length);
		FUZZ_CHECK(!protocol_error && !too_big && expected.opcode != OPCODE_BINARY);
		return;
	}
	FUZZ_CHECK(verdict == WS_FRAME_REJECTED);
	FUZZ_CHECK(reason && reason[0]);
	if (protocol_error)
		FUZZ_CHECK(close_code == 1002);
	else if (too_big)
		FUZZ_CHECK(close_code == 1009);
	else
		FUZZ_CHECK(close_code == 1003 && expected.opcode == OPCODE_BINARY);
}

/* The verdict on the shortest input holding the whole header equals the one
 * on the whole input. */
static void check_prefixes(const uint8_t *data, size_t size, size_t max_message)
{
	struct ws_frame_head head, shorter_head;
	int code = 0, shorter_code = 0;
	const char *reason = NULL, *shorter_reason = NULL;
	enum ws_frame_verdict verdict =
	    ws_frame_inspect(data, size, max_message, &head, &code, &reason);
	for (size_t length = 0; length < size && length <= WS_FRAME_HEAD_MAX; length++) {
		enum ws_frame_verdict shorter = ws_frame_inspect(
		    data, length, max_message, &shorter_head, &shorter_code, &shorter_reason);
		if (shorter == WS_FRAME_INCOMPLETE)
			continue;
		FUZZ_CHECK(shorter == verdict);
		if (verdict == WS_FRAME_REJECTED)
			FUZZ_CHECK(shorter_code == code);
		else
			FUZZ_CHECK(shorter_head.head_length == head.head_length &&
			           shorter_head.payload_length == head.payload_length);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The default limit, the smallest configurable one, and the largest. */
	static const size_t limits[] = {65536, 1024, 16 * 1024 * 1024};
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		check_verdict(data, size, limits[i]);
		check_prefixes(data, size, limits[i]);
	}
	return 0;
}
