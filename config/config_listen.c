/*
 * config_listen.c: the listen address forms the seed server's -p flag took
 * ("8080", ":8080", "HOST:PORT", "[v6]:PORT"), so existing launch scripts keep
 * working. An IPv6 address must be bracketed: "::1:8080" is ambiguous.
 */
#include "config/config.h"
#include "config/config_internal.h"

#include <stdio.h>
#include <string.h>

int config_check_host(const char *host, size_t length, char *why, size_t why_size)
{
	if (length >= CONFIG_TEXT_MAX) {
		snprintf(why, why_size, "host longer than %d characters", CONFIG_TEXT_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < length; i++) {
		char c = host[i];
		int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		int digit = c >= '0' && c <= '9';
		/* ':' for IPv6, '%' for an IPv6 zone ("fe80::1%eth0"). */
		if (!letter && !digit && !strchr(".-_:%", c)) {
			snprintf(why, why_size,
			         "host contains a character not allowed in an address");
			return -1;
		}
	}
	return 0;
}

static int listen_fail(char *err, size_t err_size, const char *why)
{
	snprintf(err, err_size, "listen: %s", why);
	return -1;
}

int config_parse_listen(const char *spec, char host_out[CONFIG_TEXT_MAX], int *port_out, char *err,
                        size_t err_size)
{
	const char *host = "", *port_text;
	size_t host_length = 0;
	char why[128];

	if (spec[0] == '\0')
		return listen_fail(err, err_size,
		                   "empty; expected PORT, :PORT, HOST:PORT or [IPv6]:PORT");
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close)
			return listen_fail(err, err_size, "missing ']' after the IPv6 address");
		if (close[1] != ':')
			return listen_fail(err, err_size, "expected ':PORT' after ']'");
		host = spec + 1;
		host_length = (size_t)(close - host);
		if (host_length == 0)
			return listen_fail(err, err_size, "empty address between '[' and ']'");
		port_text = close + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (colon && memchr(spec, ':', (size_t)(colon - spec)))
			return listen_fail(err, err_size,
			                   "an IPv6 address needs brackets: [ADDRESS]:PORT");
		if (colon) {
			host = spec;
			host_length = (size_t)(colon - spec);
			port_text = colon + 1;
		} else {
			port_text = spec;
		}
	}
	if (config_check_host(host, host_length, why, sizeof(why)) < 0)
		return listen_fail(err, err_size, why);
	if (port_text[0] == '\0')
		return listen_fail(err, err_size, "port missing");
	long long port;
	if (config_parse_number(port_text, 1, 65535, &port) < 0)
		return listen_fail(err, err_size, "port is not a number in 1..65535");

	memcpy(host_out, host, host_length);
	host_out[host_length] = '\0';
	*port_out = (int)port;
	return 0;
}

int config_set_listen(struct config *cfg, const char *spec, char *err, size_t err_size)
{
	char host[CONFIG_TEXT_MAX];
	int port;
	if (config_parse_listen(spec, host, &port, err, err_size) != 0)
		return -1;
	memcpy(cfg->listen_host, host, sizeof(host));
	cfg->port = port;
	return 0;
}
