/*
 * utf8.c: the RFC 3629 decoder table, written out as byte ranges so each
 * rejection (overlong, surrogate, beyond U+10FFFF) can be read off directly.
 */
#include "http/utf8.h"

/* Length of the sequence led by byte, and the allowed range of its second
 * byte; 0 for a byte that cannot start a sequence. */
static int sequence_shape(unsigned char lead, unsigned char *second_min, unsigned char *second_max)
{
	*second_min = 0x80;
	*second_max = 0xbf;
	if (lead < 0x80)
		return 1;
	if (lead < 0xc2) /* continuation bytes, and overlong C0/C1 */
		return 0;
	if (lead < 0xe0)
		return 2;
	if (lead < 0xf0) {
		if (lead == 0xe0)
			*second_min = 0xa0; /* overlong below U+0800 */
		else if (lead == 0xed)
			*second_max = 0x9f; /* surrogates U+D800..U+DFFF */
		return 3;
	}
	if (lead < 0xf5) {
		if (lead == 0xf0)
			*second_min = 0x90; /* overlong below U+10000 */
		else if (lead == 0xf4)
			*second_max = 0x8f; /* beyond U+10FFFF */
		return 4;
	}
	return 0;
}

int utf8_is_valid(const void *data, size_t length)
{
	const unsigned char *s = data;
	size_t i = 0;
	while (i < length) {
		unsigned char second_min, second_max;
		int size = sequence_shape(s[i], &second_min, &second_max);
		if (size == 0 || (size_t)size > length - i)
			return 0;
		if (size > 1 && (s[i + 1] < second_min || s[i + 1] > second_max))
			return 0;
		for (int k = 2; k < size; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		}
		i += (size_t)size;
	}
	return 1;
}

size_t utf8_prefix_length(const char *text, size_t length, size_t max)
{
	if (length <= max)
		return length;
	size_t end = max;
	/* Back off over continuation bytes to the start of the cut character. */
	while (end > 0 && ((unsigned char)text[end] & 0xc0) == 0x80)
		end--;
	return end;
}
