/*
 * utf8.h: strict UTF-8 checks (RFC 3629) for WebSocket text.
 *
 * Strict means what RFC 6455 demands of text frames: no overlong forms, no
 * UTF-16 surrogates, nothing past U+10FFFF, no sequence cut short.
 */
#ifndef ICEGATE_HTTP_UTF8_H
#define ICEGATE_HTTP_UTF8_H

#include <stddef.h>

/* 1 if the length bytes at data are valid UTF-8, 0 otherwise. */
int utf8_is_valid(const void *data, size_t length);

/* The longest prefix of the valid UTF-8 text (length bytes) that is at most
 * max bytes and does not split a character. */
size_t utf8_prefix_length(const char *text, size_t length, size_t max);

#endif
