/*
 * roles.c: the role set's text forms. Role names are matched exactly (no case
 * folding, no spaces) because they come from tokens, requests and the user
 * table, and one spelling per role keeps comparisons and audits simple. A role
 * set is never empty: formatting an empty or unknown set is refused so that
 * nothing unparseable reaches the store.
 */
#include "auth/roles.h"

#include <stdio.h>
#include <string.h>

struct role_name {
	unsigned bit;
	const char *name;
};

/* In the order the comma form lists them. */
static const struct role_name role_names[] = {
    {ROLE_SENDER, "sender"},
    {ROLE_RECEIVER, "receiver"},
};

#define ROLE_COUNT (sizeof(role_names) / sizeof(role_names[0]))

static unsigned parse_span(const char *name, size_t length)
{
	for (size_t i = 0; i < ROLE_COUNT; i++) {
		if (strlen(role_names[i].name) == length &&
		    memcmp(role_names[i].name, name, length) == 0)
			return role_names[i].bit;
	}
	return 0;
}

unsigned roles_parse_one(const char *name)
{
	if (!name)
		return 0;
	return parse_span(name, strlen(name));
}

unsigned roles_parse_list(const char *list)
{
	if (!list || *list == '\0')
		return 0;
	unsigned roles = 0;
	const char *start = list;
	for (;;) {
		const char *comma = strchr(start, ',');
		size_t length = comma ? (size_t)(comma - start) : strlen(start);
		unsigned bit = parse_span(start, length);
		if (bit == 0)
			return 0; /* unknown or empty element: the whole list is refused */
		roles |= bit;
		if (!comma)
			return roles;
		start = comma + 1;
	}
}

int roles_format(unsigned roles, char *out, size_t out_size)
{
	if (out_size == 0)
		return -1;
	out[0] = '\0';
	if (roles == 0 || (roles & ~(unsigned)ROLE_ALL) != 0)
		return -1;
	size_t used = 0;
	for (size_t i = 0; i < ROLE_COUNT; i++) {
		if (!(roles & role_names[i].bit))
			continue;
		int n = snprintf(out + used, out_size - used, "%s%s", used ? "," : "",
		                 role_names[i].name);
		if (n < 0 || (size_t)n >= out_size - used) {
			out[0] = '\0';
			return -1;
		}
		used += (size_t)n;
	}
	return 0;
}
