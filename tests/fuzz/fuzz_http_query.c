/*
 * fuzz_http_query.c: reading parameters out of query strings and form bodies
 * (http_query_param), the percent-decoding behind ?access_token=, ?room=,
 * ?key=&username= and the seed's form-encoded POST /refresh.
 *
 * The result is compared with a second implementation written here from the
 * contract in http_request.h: split on '&', the first key that decodes to the
 * name wins, '+' is a space, %XX a byte, a bad escape or %00 or an output
 * that does not fit makes the parameter malformed. Any difference is a
 * finding. The output buffer has the exact size passed, so a write past it
 * is caught by AddressSanitizer.
 *
 * Input: one byte choosing the output size (1..256), the parameter name up
 * to the first newline, then the query string.
 */
#include "http/http_request.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Form-decodes length bytes of in; returns the decoded length or -1. out has
 * room for length + 1 bytes. */
static long reference_decode(const char *in, size_t length, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < length; i++) {
		if (in[i] == '+') {
			out[o++] = ' ';
		} else if (in[i] == '%') {
			if (i + 2 >= length)
				return -1;
			int high = hex_value(in[i + 1]), low = hex_value(in[i + 2]);
			if (high < 0 || low < 0 || (high == 0 && low == 0))
				return -1;
			out[o++] = (char)(high << 4 | low);
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return (long)o;
}

static int reference_param(const char *query, const char *name, char *out, size_t out_size)
{
	size_t length = strlen(query);
	char *scratch = malloc(length + 1);
	FUZZ_CHECK(scratch != NULL);
	int result = 1;
	size_t start = 0;
	while (start < length) {
		const char *segment = query + start;
		size_t segment_length = strcspn(segment, "&");
		const char *equals = memchr(segment, '=', segment_length);
		size_t key_length = equals ? (size_t)(equals - segment) : segment_length;
		long decoded = reference_decode(segment, key_length, scratch);
		if (decoded >= 0 && strcmp(scratch, name) == 0) {
			const char *value = equals ? equals + 1 : segment + segment_length;
			size_t value_length = (size_t)(segment + segment_length - value);
			decoded = reference_decode(value, value_length, scratch);
			if (decoded < 0 || (size_t)decoded >= out_size) {
				result = -1;
			} else {
				memcpy(out, scratch, (size_t)decoded + 1);
				result = 0;
			}
			break;
		}
		start += segment_length + 1;
	}
	free(scratch);
	return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	size_t out_size = (size_t)fuzz_take_byte(&in) + 1;
	size_t name_size, query_size;
	const uint8_t *query_bytes;
	fuzz_split(in.data, in.size, '\n', &name_size, &query_bytes, &query_size);
	char *name = fuzz_copy_string(in.data, name_size);
	char *query = fuzz_copy_string(query_bytes, query_size);
	if (name[0] == '\0' || strlen(name) >= 256) {
		free(name);
		free(query);
		return 0;
	}
	char *out = malloc(out_size), *expected = malloc(out_size);
	FUZZ_CHECK(out && expected);
	memset(out, 0x55, out_size);
	int result = http_query_param(query, name, out, out_size);
	int expected_result = reference_param(query, name, expected, out_size);
	FUZZ_CHECK(result == expected_result);
	if (result == 0) {
		FUZZ_CHECK(memchr(out, '\0', out_size) != NULL);
		FUZZ_CHECK(strcmp(out, expected) == 0);
	}
	free(out);
	free(expected);
	free(name);
	free(query);
	return 0;
}
