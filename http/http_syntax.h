/*
 * http_syntax.h: the character classes and comparisons of RFC 7230 that the
 * request parser, the header helpers and the WebSocket handshake share.
 *
 * Comparisons are ASCII-only on purpose: header names and tokens are ASCII,
 * and the C library's case folding follows the process locale.
 */
#ifndef ICEGATE_HTTP_SYNTAX_H
#define ICEGATE_HTTP_SYNTAX_H

#include <stddef.h>

/* 1 if c is an ASCII digit. */
int http_is_digit(char c);
/* 1 if text is a non-empty RFC 7230 token (tchar+). */
int http_is_token(const char *text);
/* 1 if a and b are equal ignoring ASCII case. */
int http_name_equals(const char *a, const char *b);
/* 1 if the length bytes at a equal the NUL-terminated b, ignoring ASCII case. */
int http_name_equals_n(const char *a, size_t length, const char *b);

#endif
