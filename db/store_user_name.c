/*
 * store_user_name.c: what a user name may look like. Names end up in token
 * subjects, log lines, the admin's terminal and other users' screens, so they
 * must be valid UTF-8 that prints as what it is: no control characters, no
 * whitespace, no invisible or direction-changing characters. ':' is reserved
 * because "guest:<hex>" subjects must never collide with a real user.
 */
#include "db/store_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define USER_NAME_MAX_BYTES (STORE_NAME_MAX - 1)

/* Decodes one UTF-8 sequence from s (n bytes left) into *code_point; returns
 * its length, or 0 when malformed (bad lead or continuation byte, truncated,
 * overlong, a surrogate, or beyond U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *code_point)
{
	size_t length;
	uint32_t value, minimum;
	if (s[0] < 0x80) {
		*code_point = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		length = 2, value = s[0] & 0x1f, minimum = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		length = 3, value = s[0] & 0x0f, minimum = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		length = 4, value = s[0] & 0x07, minimum = 0x10000;
	} else {
		return 0;
	}
	if (n < length)
		return 0;
	for (size_t i = 1; i < length; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		value = value << 6 | (s[i] & 0x3f);
	}
	if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
		return 0;
	*code_point = value;
	return length;
}

static int is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

/* Unicode's White_Space property (the controls among it are caught first). */
static int is_whitespace(uint32_t c)
{
	return c == 0x20 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Zero-width and bidirectional formatting characters: they let two names that
 * look the same on screen differ, or make a name display reversed. */
static int is_invisible(uint32_t c)
{
	return (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f) || c == 0xfeff ||
	       c == 0xad;
}

int store_user_name_check(const char *name, char *why, size_t why_size)
{
	size_t length = strlen(name);
	if (length == 0) {
		snprintf(why, why_size, "empty");
		return -1;
	}
	if (length > USER_NAME_MAX_BYTES) {
		snprintf(why, why_size, "longer than %d bytes", USER_NAME_MAX_BYTES);
		return -1;
	}
	const unsigned char *s = (const unsigned char *)name;
	for (size_t i = 0; i < length;) {
		uint32_t c;
		size_t step = utf8_decode(s + i, length - i, &c);
		if (step == 0) {
			snprintf(why, why_size, "not valid UTF-8");
			return -1;
		}
		if (is_control(c)) {
			snprintf(why, why_size, "contains a control character");
			return -1;
		}
		if (is_whitespace(c)) {
			snprintf(why, why_size, "contains whitespace");
			return -1;
		}
		if (is_invisible(c)) {
			snprintf(why, why_size,
			         "contains an invisible or direction-changing character");
			return -1;
		}
		if (c == ':') {
			snprintf(why, why_size,
			         "contains ':', which is reserved for token subjects");
			return -1;
		}
		i += step;
	}
	return 0;
}
