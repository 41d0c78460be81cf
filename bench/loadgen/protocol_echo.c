/*
 * protocol_echo.c: the limit reference's protocol (bench/reference/
 * forwarder.c): /pair?room=R pairs the two connections of room R,
 * {"type":"open"} accepts the connection, and every text message is
 * forwarded to the partner unchanged. The relayed messages are icegate's
 * own candidate and offer messages, so both carry the same bytes; they
 * arrive as sent, without "from".
 */
#include "bench/loadgen/protocol.h"

#include <stdio.h>
#include <string.h>

static int base_path(char *out, size_t size, const char *credential)
{
	(void)credential;
	int length = snprintf(out, size, "/pair");
	return length < 0 || (size_t)length >= size ? -1 : 0;
}

static int peer_path(char *out, size_t size, const char *name, const char *room)
{
	(void)name;
	int length = snprintf(out, size, "?room=%s", room);
	return length < 0 || (size_t)length >= size ? -1 : 0;
}

static int join_message(char *out, size_t size, const char *room)
{
	(void)out;
	(void)size;
	(void)room;
	return 0; /* the room is in the URL */
}

static int relay_message(char *out, size_t size, const char *to, enum bench_relay_kind kind,
                         uint64_t now_ns)
{
	return bench_protocol_icegate.relay_message(out, size, to, kind, now_ns);
}

static enum bench_arrival classify(const char *text, size_t length, const char *own_name,
                                   char *value, size_t value_size, uint64_t *sent_ns)
{
	if (bench_protocol_find_timestamp(text, length, NULL, sent_ns))
		return BENCH_ARRIVAL_RELAYED;
	static const char open_message[] = "{\"type\":\"open\"}";
	if (length == sizeof(open_message) - 1 && memcmp(text, open_message, length) == 0) {
		snprintf(value, value_size, "%s", own_name);
		return BENCH_ARRIVAL_READY;
	}
	return BENCH_ARRIVAL_OTHER;
}

const struct bench_protocol bench_protocol_echo = {
    .name = "echo",
    .base_path = base_path,
    .peer_path = peer_path,
    .join_message = join_message,
    .relay_message = relay_message,
    .classify = classify,
    .keepalive = NULL,
    .keepalive_seconds = 0,
    .needs_credential = 0,
};
