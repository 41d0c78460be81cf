/*
 * fuzz_config_text.c: the signaling.conf parser (config_parse_text).
 *
 * A configuration file is trusted more than a network peer, but it is still
 * text a person edits, copies and templates, and the parser must never read
 * or write past its buffers whatever the file holds. Beyond that: an error
 * message is always NUL-terminated within its buffer and says something; a
 * parse that succeeds leaves a configuration that passes config_check, with
 * every number in its documented range; parsing is deterministic; and every
 * value the parser accepted is accepted again when set by name (what --set
 * does), leaving the configuration unchanged.
 */
#include "config/config.h"
#include "tests/fuzz/support/fuzz_check.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum field_kind { FIELD_TEXT, FIELD_INT, FIELD_SIZE };

struct field {
	const char *name;
	enum field_kind kind;
	size_t offset, size;
	long long min, max;
};

#define TEXT(name)                                                                                 \
	{                                                                                          \
#name, FIELD_TEXT, offsetof(struct config, name),                                  \
		    sizeof(((struct config *)0)->name), 0, 0                                       \
	}
#define NUMBER(name, kind, min, max)                                                               \
	{                                                                                          \
#name, kind, offsetof(struct config, name), 0, min, max                            \
	}

/* The options of etc/signaling.conf with the ranges documented there. */
static const struct field fields[] = {
    TEXT(listen_host),
    NUMBER(port, FIELD_INT, 1, 65535),
    TEXT(domain),
    TEXT(allowed_origins),
    TEXT(db_path),
    TEXT(web_root),
    TEXT(jwt_secret),
    TEXT(issuer),
    TEXT(audience),
    NUMBER(access_token_ttl, FIELD_INT, 1, 86400),
    NUMBER(refresh_token_ttl, FIELD_INT, 1, 366 * 86400),
    NUMBER(token_leeway, FIELD_INT, 0, 300),
    NUMBER(guest_access, FIELD_INT, 0, 1),
    NUMBER(login_attempts_per_minute, FIELD_INT, 1, 10000),
    NUMBER(max_message_bytes, FIELD_SIZE, 1024, 16 * 1024 * 1024),
    NUMBER(messages_per_second, FIELD_INT, 1, 10000000),
    NUMBER(message_burst, FIELD_INT, 1, 10000000),
    NUMBER(max_connections_per_address, FIELD_INT, 1, 100000),
    NUMBER(max_peers_per_room, FIELD_INT, 1, 1000),
    NUMBER(auth_timeout, FIELD_INT, 1, 300),
    NUMBER(ping_interval, FIELD_INT, 1, 3600),
    NUMBER(idle_timeout, FIELD_INT, 1, 86400),
    NUMBER(max_violations, FIELD_INT, 1, 10000),
    TEXT(realm),
    TEXT(turn_host),
    NUMBER(turn_port, FIELD_INT, 1, 65535),
    NUMBER(turns_port, FIELD_INT, 1, 65535),
    NUMBER(turn_tls, FIELD_INT, 0, 1),
    NUMBER(turn_credential_ttl, FIELD_INT, 60, 86400),
    NUMBER(turn_secret_window, FIELD_INT, 600, 604800),
    TEXT(turnserver_conf),
    TEXT(cert),
    TEXT(pkey),
    TEXT(metrics_listen),
    TEXT(control_socket),
    NUMBER(worker_threads, FIELD_INT, 1, 64),
    NUMBER(user_poll_interval_ms, FIELD_INT, 10, 60000),
    TEXT(log_level),
    TEXT(log_format),
};

#undef TEXT
#undef NUMBER

#define FIELD_COUNT (sizeof(fields) / sizeof(fields[0]))

static void check_message(const char *err, size_t err_size)
{
	FUZZ_CHECK(memchr(err, '\0', err_size) != NULL);
	FUZZ_CHECK(err[0] != '\0');
}

/* Every field within its bounds; each value re-applied by name is accepted
 * and changes nothing. */
static void check_accepted(const struct config *cfg)
{
	char err[512];
	FUZZ_CHECK(config_check(cfg, err, sizeof(err)) == 0);
	struct config again;
	memcpy(&again, cfg, sizeof(again));
	for (size_t i = 0; i < FIELD_COUNT; i++) {
		const struct field *f = &fields[i];
		const char *field = (const char *)cfg + f->offset;
		char value[CONFIG_PATH_MAX];
		if (f->kind == FIELD_TEXT) {
			FUZZ_CHECK(memchr(field, '\0', f->size) != NULL);
			snprintf(value, sizeof(value), "%s", field);
		} else {
			long long number = f->kind == FIELD_INT ? *(const int *)field
			                                        : (long long)*(const size_t *)field;
			FUZZ_CHECK(number >= f->min && number <= f->max);
			snprintf(value, sizeof(value), "%lld", number);
		}
		FUZZ_CHECK(config_set(&again, f->name, value, err, sizeof(err)) == 0);
	}
	FUZZ_CHECK(memcmp(&again, cfg, sizeof(again)) == 0);
	FUZZ_CHECK(strcmp(cfg->log_format, "text") == 0 || strcmp(cfg->log_format, "json") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, second;
	char err[384], second_err[384];
	config_defaults(&cfg);
	config_defaults(&second);
	memset(err, 0x55, sizeof(err));
	int result = config_parse_text(&cfg, (const char *)data, size, err, sizeof(err));
	int second_result =
	    config_parse_text(&second, (const char *)data, size, second_err, sizeof(second_err));
	FUZZ_CHECK(result == 0 || result == -1);
	FUZZ_CHECK(result == second_result);
	FUZZ_CHECK(memcmp(&cfg, &second, sizeof(cfg)) == 0);
	if (result == 0)
		check_accepted(&cfg);
	else
		check_message(err, sizeof(err));
	return 0;
}
