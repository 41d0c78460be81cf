/*
 * config_internal.h: helpers shared by the files of config/ and nobody else.
 */
#ifndef ICEGATE_CONFIG_CONFIG_INTERNAL_H
#define ICEGATE_CONFIG_CONFIG_INTERNAL_H

#include <stddef.h>

/* Parses a whole decimal number in min..max (no sign other than a leading
 * '-', no spaces, no suffix). Returns 0, or -1 if text is not one. */
int config_parse_number(const char *text, long long min, long long max, long long *out);

/* 0 if host (length bytes, no brackets) is a plausible host name or IPv4/IPv6
 * address to listen on, else -1 with the reason in why. */
int config_check_host(const char *host, size_t length, char *why, size_t why_size);

#endif
