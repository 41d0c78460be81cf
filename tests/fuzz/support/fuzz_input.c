/*
 * fuzz_input.c: the byte cursor and splitting helpers of fuzz_input.h.
 */
#include "tests/fuzz/support/fuzz_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t fuzz_take_byte(struct fuzz_input *input)
{
	if (input->size == 0)
		return 0;
	uint8_t byte = input->data[0];
	input->data++;
	input->size--;
	return byte;
}

uint16_t fuzz_take_u16(struct fuzz_input *input)
{
	uint16_t high = fuzz_take_byte(input);
	return (uint16_t)(high << 8 | fuzz_take_byte(input));
}

size_t fuzz_take_bytes(struct fuzz_input *input, size_t wanted, const uint8_t **bytes)
{
	size_t taken = wanted < input->size ? wanted : input->size;
	*bytes = input->data;
	input->data += taken;
	input->size -= taken;
	return taken;
}

char *fuzz_copy_string(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy) {
		fprintf(stderr, "fuzz: out of memory copying %zu bytes\n", size);
		abort();
	}
	if (size > 0)
		memcpy(copy, data, size);
	copy[size] = '\0';
	return copy;
}

int fuzz_split(const uint8_t *data, size_t size, uint8_t separator, size_t *head_size,
               const uint8_t **rest, size_t *rest_size)
{
	const uint8_t *found = size > 0 ? memchr(data, separator, size) : NULL;
	if (!found) {
		*head_size = size;
		*rest = data + size;
		*rest_size = 0;
		return 0;
	}
	*head_size = (size_t)(found - data);
	*rest = found + 1;
	*rest_size = size - *head_size - 1;
	return 1;
}
