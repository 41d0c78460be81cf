/*
 * http_query.c: reading one parameter out of a URL query string.
 *
 * Values arrive form-encoded ('+' for space, %XX escapes). A malformed escape
 * or an escaped NUL makes the parameter unusable rather than silently
 * shortened, because values here are tokens and room names that must be read
 * exactly as sent or not at all.
 */
#include "common/hex.h"
#include "http/http_request.h"

#include <string.h>

/* Decodes length bytes of in into out (NUL-terminated). Returns 0, or -1 on a
 * bad escape, an escaped NUL, or when out is too small. */
static int form_decode(const char *in, size_t length, char *out, size_t out_size)
{
	size_t o = 0;
	for (size_t i = 0; i < length; i++) {
		char c = in[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (length - i < 3)
				return -1;
			int high = hex_digit_value(in[i + 1]);
			int low = high < 0 ? -1 : hex_digit_value(in[i + 2]);
			if (low < 0)
				return -1;
			c = (char)(high << 4 | low);
			if (c == '\0')
				return -1;
			i += 2;
		}
		if (o + 1 >= out_size)
			return -1;
		out[o++] = c;
	}
	if (o >= out_size)
		return -1;
	out[o] = '\0';
	return 0;
}

int http_query_param(const char *query, const char *name, char *out, size_t out_size)
{
	if (!query)
		return 1;
	size_t name_length = strlen(name);
	char key[256];
	if (name_length >= sizeof(key))
		return 1;
	const char *p = query;
	while (*p) {
		const char *end = strchr(p, '&');
		if (!end)
			end = p + strlen(p);
		const char *equals = memchr(p, '=', (size_t)(end - p));
		const char *key_end = equals ? equals : end;
		/* A key that does not decode cannot be the one asked for. */
		if (form_decode(p, (size_t)(key_end - p), key, name_length + 1) == 0 &&
		    strcmp(key, name) == 0) {
			const char *value = equals ? equals + 1 : end;
			return form_decode(value, (size_t)(end - value), out, out_size) == 0 ? 0
			                                                                     : -1;
		}
		p = *end ? end + 1 : end;
	}
	return 1;
}
