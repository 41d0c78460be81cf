/*
 * http_syntax.c: RFC 7230 character classes and ASCII case folding for the
 * http module (see http_syntax.h).
 */
#include "http/http_syntax.h"

#include <string.h>

int http_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_tchar(char c)
{
	return is_alpha(c) || http_is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

int http_is_token(const char *text)
{
	if (*text == '\0')
		return 0;
	for (; *text; text++) {
		if (!is_tchar(*text))
			return 0;
	}
	return 1;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int http_name_equals_n(const char *a, size_t length, const char *b)
{
	for (size_t i = 0; i < length; i++) {
		if (b[i] == '\0' || lower(a[i]) != lower(b[i]))
			return 0;
	}
	return b[length] == '\0';
}

int http_name_equals(const char *a, const char *b)
{
	return http_name_equals_n(a, strlen(a), b);
}
