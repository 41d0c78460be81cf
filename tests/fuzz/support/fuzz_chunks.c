/*
 * fuzz_chunks.c: FNV-1a seeds an xorshift64 generator that picks the sizes.
 */
#include "tests/fuzz/support/fuzz_chunks.h"

void fuzz_chunker_init(struct fuzz_chunker *chunker, const uint8_t *data, size_t size)
{
	uint64_t hash = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < size; i++)
		hash = (hash ^ data[i]) * 0x100000001b3ull;
	chunker->state = hash ? hash : 1;
}

static uint64_t next_random(struct fuzz_chunker *chunker)
{
	uint64_t x = chunker->state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	chunker->state = x;
	return x;
}

size_t fuzz_chunker_next(struct fuzz_chunker *chunker, size_t remaining)
{
	if (remaining == 0)
		return 0;
	uint64_t r = next_random(chunker);
	size_t size;
	switch (r & 3) {
	case 0:
		size = 1;
		break;
	case 1:
		size = 1 + (size_t)(r >> 8) % 16;
		break;
	case 2:
		size = 1 + (size_t)(r >> 8) % 512;
		break;
	default:
		size = remaining;
		break;
	}
	return size < remaining ? size : remaining;
}
