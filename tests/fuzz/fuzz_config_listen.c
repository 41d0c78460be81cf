/*
 * fuzz_config_listen.c: the listen address forms ("8080", ":8080",
 * "HOST:PORT", "[IPv6]:PORT") of -p, port and metrics_listen.
 *
 * An accepted address has a port in 1..65535 and a host made of the allowed
 * characters that was taken from the text as written; written back in
 * canonical form it parses to the same host and port. config_set_listen
 * agrees with config_parse_listen and leaves the configuration untouched on
 * a refusal; the metrics_listen option accepts exactly "" and what
 * config_parse_listen accepts. Refusals name the problem after "listen: ".
 */
#include "config/config.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int host_character_allowed(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr(".-_:%", c) != NULL);
}

static void check_accepted(const char *spec, const char *host, int port)
{
	FUZZ_CHECK(port >= 1 && port <= 65535);
	FUZZ_CHECK(strlen(host) < CONFIG_TEXT_MAX);
	for (const char *c = host; *c; c++)
		FUZZ_CHECK(host_character_allowed(*c));
	FUZZ_CHECK(strstr(spec, host) != NULL);

	char canonical[CONFIG_TEXT_MAX + 16];
	if (strchr(host, ':'))
		snprintf(canonical, sizeof(canonical), "[%s]:%d", host, port);
	else if (host[0])
		snprintf(canonical, sizeof(canonical), "%s:%d", host, port);
	else
		snprintf(canonical, sizeof(canonical), "%d", port);
	char again_host[CONFIG_TEXT_MAX], err[256];
	int again_port = 0;
	FUZZ_CHECK(config_parse_listen(canonical, again_host, &again_port, err, sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(again_host, host) == 0 && again_port == port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz_copy_string(data, size);
	char host[CONFIG_TEXT_MAX], err[256];
	int port = 0;
	memset(err, 0x55, sizeof(err));
	int result = config_parse_listen(spec, host, &port, err, sizeof(err));
	FUZZ_CHECK(result == 0 || result == -1);
	if (result == 0) {
		check_accepted(spec, host, port);
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(strncmp(err, "listen: ", 8) == 0 && err[8] != '\0');
	}

	struct config cfg, before;
	config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	int set_result = config_set_listen(&cfg, spec, err, sizeof(err));
	FUZZ_CHECK(set_result == result);
	if (result == 0)
		FUZZ_CHECK(strcmp(cfg.listen_host, host) == 0 && cfg.port == port);
	else
		FUZZ_CHECK(memcmp(&cfg, &before, sizeof(cfg)) == 0);

	config_defaults(&cfg);
	int option_result = config_set(&cfg, "metrics_listen", spec, err, sizeof(err));
	int expected = spec[0] == '\0' || (strlen(spec) < CONFIG_TEXT_MAX && result == 0) ? 0 : -1;
	FUZZ_CHECK(option_result == expected);
	if (option_result == 0)
		FUZZ_CHECK(strcmp(cfg.metrics_listen, spec) == 0);
	free(spec);
	return 0;
}
