/*
 * fuzz_http_utf8.c: the strict UTF-8 check that guards WebSocket text and
 * close reasons, and the prefix cut used for close reasons.
 *
 * utf8_is_valid is compared with a decoder written here from RFC 3629's
 * definition (code points, not byte-range tables): both must agree on every
 * input. utf8_prefix_length must return a prefix that fits the limit, is
 * itself valid, and loses at most one character's worth of bytes.
 */
#include "http/utf8.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3629: decode each sequence to its code point, refuse overlong forms,
 * surrogates and anything past U+10FFFF. */
static int reference_is_valid(const uint8_t *s, size_t length)
{
	size_t i = 0;
	while (i < length) {
		uint32_t c = s[i];
		size_t size;
		uint32_t minimum;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			size = 2, c &= 0x1f, minimum = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			size = 3, c &= 0x0f, minimum = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			size = 4, c &= 0x07, minimum = 0x10000;
		} else {
			return 0;
		}
		if (length - i < size)
			return 0;
		for (size_t k = 1; k < size; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < minimum || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += size;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so a read past the end is caught. */
	uint8_t *text = malloc(size ? size : 1);
	FUZZ_CHECK(text != NULL);
	if (size)
		memcpy(text, data, size);
	int valid = utf8_is_valid(text, size);
	FUZZ_CHECK(valid == reference_is_valid(text, size));

	if (valid) {
		/* Limits around the size, and the close-reason limit. */
		size_t limits[] = {0, 1, 2, 3, 123, size / 2, size > 0 ? size - 1 : 0, size};
		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			size_t max = limits[i];
			size_t cut = utf8_prefix_length((const char *)text, size, max);
			FUZZ_CHECK(cut <= max || (size <= max && cut == size));
			FUZZ_CHECK(cut <= size);
			FUZZ_CHECK(utf8_is_valid(text, cut));
			if (size > max)
				FUZZ_CHECK(cut + 3 >=
				           max); /* at most 3 bytes of a 4-byte character */
			else
				FUZZ_CHECK(cut == size);
		}
	}
	free(text);
	return 0;
}
