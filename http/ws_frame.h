/*
 * ws_frame.h: a look at each WebSocket frame header before wslay reads it.
 *
 * wslay 1.1.1 already refuses unmasked client frames, reserved bits, unknown
 * opcodes, continuation frames out of sequence, oversized messages (1009),
 * invalid UTF-8 in text and close reasons (1007) and close codes outside
 * 1000-1011/3000-4999 (1002). For the malformed headers below, though, it
 * answers with a close frame that carries no code at all, and it accepts a
 * close frame with a one-byte payload; and it waits for the first payload
 * byte before refusing a frame announced over the size limit.
 * ws_frame_inspect catches those first, so the client learns why it was
 * disconnected, and refuses binary frames at their header instead of after
 * buffering their payload.
 */
#ifndef ICEGATE_HTTP_WS_FRAME_H
#define ICEGATE_HTTP_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define WS_FRAME_HEAD_MAX 14 /* 2 + 8 bytes of length + 4 of mask key */

struct ws_frame_head {
	int fin;
	int opcode;
	int masked;
	uint64_t payload_length;
	size_t head_length; /* 2 to WS_FRAME_HEAD_MAX bytes */
};

enum ws_frame_verdict {
	WS_FRAME_INCOMPLETE, /* the header is not all there yet */
	WS_FRAME_ACCEPTED,   /* *head filled; wslay checks the rest */
	WS_FRAME_REJECTED,   /* *close_code and *reason say why */
};

/* Inspects the frame header at the start of the length bytes at data. A data
 * frame announcing more than max_message bytes is refused (1009) at once:
 * wslay would only notice once the first payload byte arrived. */
enum ws_frame_verdict ws_frame_inspect(const unsigned char *data, size_t length, size_t max_message,
                                       struct ws_frame_head *head, int *close_code,
                                       const char **reason);

#endif
