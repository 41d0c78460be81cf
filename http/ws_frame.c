/*
 * ws_frame.c: the header checks of ws_frame.h, following RFC 6455 section
 * 5.2 (framing) and 5.5 (control frames).
 */
#include "http/ws_frame.h"
#include "http/ws.h"

#define OPCODE_BINARY 0x2
#define OPCODE_CLOSE  0x8

static enum ws_frame_verdict reject(int *close_code, const char **reason, int code,
                                    const char *text)
{
	*close_code = code;
	*reason = text;
	return WS_FRAME_REJECTED;
}

enum ws_frame_verdict ws_frame_inspect(const unsigned char *data, size_t length, size_t max_message,
                                       struct ws_frame_head *head, int *close_code,
                                       const char **reason)
{
	if (length < 2)
		return WS_FRAME_INCOMPLETE;
	head->fin = data[0] >> 7;
	head->opcode = data[0] & 0x0f;
	head->masked = data[1] >> 7;
	unsigned short_length = data[1] & 0x7f;
	size_t extended = short_length == 126 ? 2 : short_length == 127 ? 8 : 0;
	head->head_length = 2 + extended + (head->masked ? 4 : 0);
	if (length < head->head_length)
		return WS_FRAME_INCOMPLETE;

	uint64_t payload_length = short_length;
	if (extended) {
		payload_length = 0;
		for (size_t i = 0; i < extended; i++)
			payload_length = payload_length << 8 | data[2 + i];
	}
	head->payload_length = payload_length;

	if (head->opcode & 0x8) {
		if (!head->fin)
			return reject(close_code, reason, WS_CLOSE_PROTOCOL_ERROR,
			              "fragmented control frame");
		if (short_length > 125)
			return reject(close_code, reason, WS_CLOSE_PROTOCOL_ERROR,
			              "control frame over 125 bytes");
		if (head->opcode == OPCODE_CLOSE && payload_length == 1)
			return reject(close_code, reason, WS_CLOSE_PROTOCOL_ERROR,
			              "close frame with a one-byte payload");
	}
	if (extended == 8 && (payload_length >> 63) != 0)
		return reject(close_code, reason, WS_CLOSE_PROTOCOL_ERROR,
		              "frame length has its most significant bit set");
	/* Section 5.2: the length must use the shortest encoding. */
	if ((extended == 2 && payload_length < 126) || (extended == 8 && payload_length <= 0xffff))
		return reject(close_code, reason, WS_CLOSE_PROTOCOL_ERROR,
		              "frame length not minimally encoded");
	if (!(head->opcode & 0x8) && payload_length > max_message)
		return reject(close_code, reason, WS_CLOSE_MESSAGE_TOO_BIG, "message too big");
	if (head->opcode == OPCODE_BINARY)
		return reject(close_code, reason, WS_CLOSE_UNSUPPORTED_DATA,
		              "binary messages are not supported");
	return WS_FRAME_ACCEPTED;
}
