/*
 * protocol_peerjs.c: the PeerJS server's protocol (npm package `peer`, see
 * bench/peerjs/), as its browser client speaks it:
 *
 *   GET /peerjs?key=peerjs&token=T&id=ID   the client chooses id and token;
 *   <- {"type":"OPEN"}                     registered;
 *   -> {"type":"CANDIDATE","dst":ID,"payload":{"candidate":{...},
 *       "type":"media","connectionId":C}}  (OFFER: "payload":{"sdp":{...}});
 *   <- the same with "src" added: {"type":..,"src":..,"dst":..,"payload":..};
 *   -> {"type":"HEARTBEAT"} every 5 s      else the server drops the client
 *                                          after alive_timeout;
 *   <- {"type":"ERROR","payload":{"msg":..}}, {"type":"ID-TAKEN",..},
 *      {"type":"EXPIRE"|"LEAVE","src":..}  refusals and undeliverable messages.
 */
#include "bench/loadgen/protocol.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define PEERJS_KEY   "peerjs"
#define PEERJS_TOKEN "bench" /* a client-chosen secret guarding the id; any will do */

static int base_path(char *out, size_t size, const char *credential)
{
	(void)credential; /* PeerJS has no authentication */
	int length = snprintf(out, size, "/peerjs?key=" PEERJS_KEY "&token=" PEERJS_TOKEN);
	return length < 0 || (size_t)length >= size ? -1 : 0;
}

static int peer_path(char *out, size_t size, const char *name, const char *room)
{
	(void)room; /* PeerJS has no rooms: peers address each other by id */
	int length = snprintf(out, size, "&id=%s", name);
	return length < 0 || (size_t)length >= size ? -1 : 0;
}

static int join_message(char *out, size_t size, const char *room)
{
	(void)out;
	(void)size;
	(void)room;
	return 0;
}

static int relay_message(char *out, size_t size, const char *to, enum bench_relay_kind kind,
                         uint64_t now_ns)
{
	int length;
	if (kind == BENCH_RELAY_OFFER)
		length =
		    snprintf(out, size,
		             "{\"type\":\"OFFER\",\"dst\":\"%s\",\"payload\":{\"sdp\":{\"type\":"
		             "\"offer\",\"sdp\":\"%sa=%s " BENCH_TS_MARKER "%llu\\r\\n\"},"
		             "\"type\":\"media\",\"connectionId\":\"mc_bench\"}}",
		             to, bench_offer_sdp, bench_candidate_line, (unsigned long long)now_ns);
	else
		length =
		    snprintf(out, size,
		             "{\"type\":\"CANDIDATE\",\"dst\":\"%s\",\"payload\":{\"candidate\":{"
		             "\"candidate\":\"%s " BENCH_TS_MARKER "%llu\",\"sdpMid\":\"0\","
		             "\"sdpMLineIndex\":0},\"type\":\"media\",\"connectionId\":"
		             "\"mc_bench\"}}",
		             to, bench_candidate_line, (unsigned long long)now_ns);
	return length < 0 || (size_t)length >= size ? -1 : length;
}

static enum bench_arrival classify(const char *text, size_t length, const char *own_name,
                                   char *value, size_t value_size, uint64_t *sent_ns)
{
	if (bench_protocol_find_timestamp(text, length, "\"src\"", sent_ns))
		return BENCH_ARRIVAL_RELAYED;
	json_t *message = json_loadb(text, length, 0, NULL);
	const char *type = json_string_value(json_object_get(message, "type"));
	enum bench_arrival arrival = BENCH_ARRIVAL_OTHER;
	const char *field = NULL;
	if (type == NULL) {
		arrival = BENCH_ARRIVAL_OTHER;
	} else if (strcmp(type, "OPEN") == 0) {
		field = own_name; /* the id is the one the client asked for */
		arrival = BENCH_ARRIVAL_READY;
	} else if (strcmp(type, "ERROR") == 0) {
		field =
		    json_string_value(json_object_get(json_object_get(message, "payload"), "msg"));
		if (field == NULL)
			field = "ERROR";
		arrival = BENCH_ARRIVAL_ERROR;
	} else if (strcmp(type, "ID-TAKEN") == 0 || strcmp(type, "EXPIRE") == 0 ||
	           strcmp(type, "LEAVE") == 0) {
		field = type; /* the id was taken, or a message found no live peer */
		arrival = BENCH_ARRIVAL_ERROR;
	}
	if (field != NULL)
		snprintf(value, value_size, "%s", field);
	json_decref(message);
	return arrival;
}

const struct bench_protocol bench_protocol_peerjs = {
    .name = "peerjs",
    .base_path = base_path,
    .peer_path = peer_path,
    .join_message = join_message,
    .relay_message = relay_message,
    .classify = classify,
    .keepalive = "{\"type\":\"HEARTBEAT\"}", /* the PeerJS client's pingInterval */
    .keepalive_seconds = 5,
    .needs_credential = 0,
};
