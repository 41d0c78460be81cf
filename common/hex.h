/*
 * hex.h: hexadecimal digits, for percent-decoding and for secrets stored as
 * hex text.
 */
#ifndef ICEGATE_COMMON_HEX_H
#define ICEGATE_COMMON_HEX_H

/* The value of one hex digit (either case), or -1 for any other character. */
int hex_digit_value(char c);

#endif
