/*
 * protocol_icegate.c: icegate's signaling protocol for the generator (see
 * protocol.h and docs/protocol.md): token in the URL, "authenticated" with
 * the server-assigned id, a join to a room of two, relayed messages with
 * "from" added.
 */
#include "bench/loadgen/protocol.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int base_path(char *out, size_t size, const char *credential)
{
	int length = snprintf(out, size, "/ws?access_token=%s", credential);
	return length < 0 || (size_t)length >= size ? -1 : 0;
}

static int peer_path(char *out, size_t size, const char *name, const char *room)
{
	(void)name; /* the server assigns ids; rooms are joined by message */
	(void)room;
	if (size == 0)
		return -1;
	out[0] = '\0';
	return 0;
}

static int join_message(char *out, size_t size, const char *room)
{
	int length = snprintf(out, size, "{\"type\":\"join\",\"room\":\"%s\"}", room);
	return length < 0 || (size_t)length >= size ? -1 : length;
}

static int relay_message(char *out, size_t size, const char *to, enum bench_relay_kind kind,
                         uint64_t now_ns)
{
	int length;
	if (kind == BENCH_RELAY_OFFER)
		length =
		    snprintf(out, size,
		             "{\"type\":\"offer\",\"to\":\"%s\",\"sdp\":\"%sa=%s " BENCH_TS_MARKER
		             "%llu\\r\\n\"}",
		             to, bench_offer_sdp, bench_candidate_line, (unsigned long long)now_ns);
	else
		length = snprintf(
		    out, size,
		    "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":{\"candidate\":"
		    "\"%s " BENCH_TS_MARKER "%llu\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}",
		    to, bench_candidate_line, (unsigned long long)now_ns);
	return length < 0 || (size_t)length >= size ? -1 : length;
}

static enum bench_arrival classify(const char *text, size_t length, const char *own_name,
                                   char *value, size_t value_size, uint64_t *sent_ns)
{
	(void)own_name;
	if (bench_protocol_find_timestamp(text, length, "\"from\"", sent_ns))
		return BENCH_ARRIVAL_RELAYED;
	json_t *message = json_loadb(text, length, 0, NULL);
	const char *type = json_string_value(json_object_get(message, "type"));
	enum bench_arrival arrival = BENCH_ARRIVAL_OTHER;
	const char *field = NULL;
	if (type == NULL) {
		arrival = BENCH_ARRIVAL_OTHER;
	} else if (strcmp(type, "authenticated") == 0) {
		field = json_string_value(json_object_get(message, "id"));
		if (field == NULL || strlen(field) >= value_size)
			field = NULL; /* no id, or longer than any id the protocol makes */
		else
			arrival = BENCH_ARRIVAL_READY;
	} else if (strcmp(type, "joined") == 0) {
		arrival = BENCH_ARRIVAL_JOINED;
	} else if (strcmp(type, "error") == 0) {
		field = json_string_value(json_object_get(message, "code"));
		if (field == NULL)
			field = "(no code)";
		arrival = BENCH_ARRIVAL_ERROR;
	}
	if (field != NULL)
		snprintf(value, value_size, "%s", field);
	json_decref(message);
	return arrival;
}

const struct bench_protocol bench_protocol_icegate = {
    .name = "icegate",
    .base_path = base_path,
    .peer_path = peer_path,
    .join_message = join_message,
    .relay_message = relay_message,
    .classify = classify,
    .keepalive = NULL, /* the daemon pings; wslay answers */
    .keepalive_seconds = 0,
    .needs_credential = 1,
};
