/*
 * http_header.c: looking up header fields of a parsed request, and reading
 * the comma-separated token lists of Connection and Upgrade.
 */
#include "http/http_request.h"
#include "http/http_syntax.h"

#include <string.h>

const char *http_request_header(const struct http_request *req, const char *name)
{
	for (int i = 0; i < req->header_count; i++) {
		if (http_name_equals(req->headers[i].name, name))
			return req->headers[i].value;
	}
	return NULL;
}

int http_header_has_token(const char *value, const char *token)
{
	if (!value)
		return 0;
	const char *p = value;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (http_name_equals_n(start, (size_t)(end - start), token))
			return 1;
	}
}
