/*
 * fuzz_ws_frames.c: the RFC 6455 section 5.2 frame layout, read back.
 */
#include "tests/fuzz/support/fuzz_ws_frames.h"

size_t fuzz_ws_frame_decode(const uint8_t *data, size_t size, struct fuzz_ws_frame *frame)
{
	if (size < 2)
		return 0;
	frame->fin = data[0] >> 7;
	frame->rsv = (data[0] >> 4) & 7;
	frame->opcode = data[0] & 0x0f;
	frame->masked = data[1] >> 7;
	size_t header = 2, extra = (data[1] & 0x7f) == 126 ? 2 : (data[1] & 0x7f) == 127 ? 8 : 0;
	if (size < header + extra)
		return 0;
	frame->length = data[1] & 0x7f;
	if (extra) {
		frame->length = 0;
		for (size_t i = 0; i < extra; i++)
			frame->length = frame->length << 8 | data[2 + i];
	}
	header += extra + (frame->masked ? 4 : 0);
	if (size < header || frame->length > size - header)
		return 0;
	frame->payload = data + header;
	return header + (size_t)frame->length;
}

int fuzz_ws_code_sendable(int code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}
