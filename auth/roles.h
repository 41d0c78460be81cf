/*
 * roles.h: the roles a token or user may hold, as a bit set, and their text
 * forms ("sender", "receiver", "sender,receiver").
 */
#ifndef ICEGATE_AUTH_ROLES_H
#define ICEGATE_AUTH_ROLES_H

#include <stddef.h>

enum { ROLE_SENDER = 1u << 0, ROLE_RECEIVER = 1u << 1, ROLE_ALL = ROLE_SENDER | ROLE_RECEIVER };

/* Parses one role name; returns its bit or 0 if unknown. */
unsigned roles_parse_one(const char *name);
/* Parses a comma list ("sender,receiver"); returns the bit set or 0 if any
 * element is unknown or the list is empty. */
unsigned roles_parse_list(const char *list);
/* Writes the comma list form into out; returns 0 or -1 if it does not fit. */
int roles_format(unsigned roles, char *out, size_t out_size);

#endif
