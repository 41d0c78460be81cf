/*
 * fuzz_input.h: reading a fuzzer's byte string as structured input.
 *
 * Targets that need more than one value (a chunk size, a flag, a payload)
 * take them from the front of the input with a cursor; once the bytes run
 * out every read yields zero or nothing, so any input is a valid one.
 */
#ifndef ICEGATE_FUZZ_INPUT_H
#define ICEGATE_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_input {
	const uint8_t *data; /* borrowed from libFuzzer; what is left to read */
	size_t size;         /* bytes left */
};

/* The next byte, or 0 when the input is used up. */
uint8_t fuzz_take_byte(struct fuzz_input *input);
/* The next two bytes, big-endian, or what is left of them as zeros. */
uint16_t fuzz_take_u16(struct fuzz_input *input);
/* Up to wanted bytes: sets *bytes and returns how many there were. */
size_t fuzz_take_bytes(struct fuzz_input *input, size_t wanted, const uint8_t **bytes);

/* A malloc'ed NUL-terminated copy of size bytes (which may hold NULs);
 * aborts when memory runs out, which is not a finding. */
char *fuzz_copy_string(const uint8_t *data, size_t size);

/* Splits data at the first separator byte: *head_size bytes before it, and the
 * rest after it. Returns 1 if the separator was there, 0 if not (then the
 * whole input is the head and the rest is empty). */
int fuzz_split(const uint8_t *data, size_t size, uint8_t separator, size_t *head_size,
               const uint8_t **rest, size_t *rest_size);

#endif
