/*
 * fuzz_ws_frames.h: decoding the WebSocket frames a server wrote, to check
 * them from the client's side of the wire.
 */
#ifndef ICEGATE_FUZZ_WS_FRAMES_H
#define ICEGATE_FUZZ_WS_FRAMES_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_ws_frame {
	int fin;
	int rsv; /* the three reserved bits */
	int opcode;
	int masked;
	const uint8_t *payload; /* borrowed from the decoded bytes; still masked if masked */
	uint64_t length;
};

/* Decodes the frame at the start of size bytes. Returns the frame's whole
 * size (header and payload), or 0 when the bytes end before it does. */
size_t fuzz_ws_frame_decode(const uint8_t *data, size_t size, struct fuzz_ws_frame *frame);

/* 1 for the close codes an endpoint may put in a close frame (RFC 6455
 * section 7.4 and the IANA registry; 3000-4999 for applications). */
int fuzz_ws_code_sendable(int code);

#endif
