/*
 * fuzz_chunks.h: cutting an input into pieces, the way TCP delivers it.
 *
 * Incremental parsers must give the same answer however their input is cut.
 * The cuts are derived from a hash of the input itself, so the same input is
 * always cut the same way (a crash reproduces) while the seed corpus stays
 * plain protocol text with no control bytes in front.
 */
#ifndef ICEGATE_FUZZ_CHUNKS_H
#define ICEGATE_FUZZ_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_chunker {
	uint64_t state; /* xorshift state, never 0 */
};

/* Seeds the cuts from the size bytes at data. */
void fuzz_chunker_init(struct fuzz_chunker *chunker, const uint8_t *data, size_t size);
/* The length of the next piece: 1..remaining (0 only when remaining is 0).
 * Mostly small pieces (single bytes, a few bytes), sometimes large ones. */
size_t fuzz_chunker_next(struct fuzz_chunker *chunker, size_t remaining);

#endif
