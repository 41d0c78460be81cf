/*
 * peer.c: the signaling side of a benchmark client (see peer.h).
 *
 * Relayed benchmark messages are recognised without a JSON parser, by the
 * bench-ts marker, because at saturation the generator parses as many
 * messages as the daemon relays and must not become the bottleneck. The rare
 * control messages (authenticated, joined, error) go through jansson.
 */
#include "bench/loadgen/peer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MARKER "bench-ts "

/* A browser-like offer (one audio, one video section), JSON-escaped; the
 * timestamped candidate line is appended to it. */
static const char offer_sdp[] =
    "v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n"
    "a=group:BUNDLE 0 1\\r\\na=extmap-allow-mixed\\r\\na=msid-semantic: WMS stream\\r\\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\\r\\nc=IN IP4 0.0.0.0\\r\\n"
    "a=rtcp:9 IN IP4 0.0.0.0\\r\\na=ice-ufrag:Fp9r\\r\\n"
    "a=ice-pwd:3YgqWgHEZ0bVd1sN4F0sF5a9\\r\\na=ice-options:trickle\\r\\n"
    "a=fingerprint:sha-256 8C:71:B3:8D:A5:38:FD:8F:A4:2E:A2:65:6C:86:52:BC:E0:6E:94:F2:"
    "9F:7C:4D:B1:DF:AF:AA:9C:82:F5:95:2A\\r\\na=setup:actpass\\r\\na=mid:0\\r\\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\\r\\n"
    "a=sendrecv\\r\\na=msid:stream audio0\\r\\na=rtcp-mux\\r\\n"
    "a=rtpmap:111 opus/48000/2\\r\\na=rtcp-fb:111 transport-cc\\r\\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\\r\\na=rtpmap:63 red/48000/2\\r\\n"
    "a=rtpmap:9 G722/8000\\r\\na=rtpmap:0 PCMU/8000\\r\\na=rtpmap:8 PCMA/8000\\r\\n"
    "a=ssrc:3407326183 cname:bench\\r\\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103\\r\\nc=IN IP4 0.0.0.0\\r\\n"
    "a=rtcp:9 IN IP4 0.0.0.0\\r\\na=ice-ufrag:Fp9r\\r\\n"
    "a=ice-pwd:3YgqWgHEZ0bVd1sN4F0sF5a9\\r\\na=ice-options:trickle\\r\\n"
    "a=fingerprint:sha-256 8C:71:B3:8D:A5:38:FD:8F:A4:2E:A2:65:6C:86:52:BC:E0:6E:94:F2:"
    "9F:7C:4D:B1:DF:AF:AA:9C:82:F5:95:2A\\r\\na=setup:actpass\\r\\na=mid:1\\r\\n"
    "a=sendrecv\\r\\na=msid:stream video0\\r\\na=rtcp-mux\\r\\na=rtcp-rsize\\r\\n"
    "a=rtpmap:96 VP8/90000\\r\\na=rtcp-fb:96 goog-remb\\r\\na=rtcp-fb:96 transport-cc\\r\\n"
    "a=rtcp-fb:96 ccm fir\\r\\na=rtcp-fb:96 nack\\r\\na=rtcp-fb:96 nack pli\\r\\n"
    "a=rtpmap:97 rtx/90000\\r\\na=fmtp:97 apt=96\\r\\n"
    "a=rtpmap:102 H264/90000\\r\\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
    "profile-level-id=42001f\\r\\na=rtpmap:103 rtx/90000\\r\\na=fmtp:103 apt=102\\r\\n"
    "a=ssrc-group:FID 1645403468 2231592384\\r\\na=ssrc:1645403468 cname:bench\\r\\n";

static const char candidate_line[] =
    "candidate:842163049 1 udp 1677729535 192.0.2.10 54400 typ srflx raddr 0.0.0.0 "
    "rport 0 generation 0 ufrag Fp9r network-cost 999";

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_state(struct bench_peer *peer, enum bench_peer_state state)
{
	peer->state = state;
	peer->events->on_state(peer);
}

static void handle_control(struct bench_peer *peer, const char *text, size_t length)
{
	json_t *message = json_loadb(text, length, 0, NULL);
	if (message == NULL)
		return; /* not ours to judge: the daemon's own tests do that */
	const char *type = json_string_value(json_object_get(message, "type"));
	if (type == NULL) {
		json_decref(message);
		return;
	}
	if (strcmp(type, "authenticated") == 0 && peer->state == BENCH_PEER_CONNECTING) {
		const char *id = json_string_value(json_object_get(message, "id"));
		if (id != NULL && strlen(id) < sizeof(peer->id)) {
			strcpy(peer->id, id);
			set_state(peer, BENCH_PEER_AUTHENTICATED);
		}
	} else if (strcmp(type, "joined") == 0 && peer->state == BENCH_PEER_JOINING) {
		set_state(peer, BENCH_PEER_JOINED);
	} else if (strcmp(type, "error") == 0) {
		const char *code = json_string_value(json_object_get(message, "code"));
		peer->events->on_error(peer, code != NULL ? code : "(no code)");
	}
	json_decref(message);
}

int bench_peer_parse_relayed(const char *text, size_t length, uint64_t *sent_ns)
{
	const char *marker = memmem(text, length, MARKER, sizeof(MARKER) - 1);
	if (marker == NULL || memmem(text, length, "\"from\"", 6) == NULL)
		return 0;
	const char *p = marker + sizeof(MARKER) - 1;
	const char *end = text + length;
	uint64_t value = 0;
	int digits = 0;
	while (p < end && *p >= '0' && *p <= '9' && digits < 20) {
		value = value * 10 + (uint64_t)(*p - '0');
		p++;
		digits++;
	}
	if (digits == 0)
		return 0;
	*sent_ns = value;
	return 1;
}

static void ws_open(void *arg)
{
	(void)arg; /* the token is in the URL: "authenticated" comes by itself */
}

static void ws_text(void *arg, const char *data, size_t length)
{
	struct bench_peer *peer = arg;
	uint64_t sent_ns;
	if (bench_peer_parse_relayed(data, length, &sent_ns))
		peer->events->on_relayed(peer, sent_ns);
	else
		handle_control(peer, data, length);
}

static void ws_end(void *arg, int close_code, const char *reason)
{
	struct bench_peer *peer = arg;
	peer->close_code = close_code;
	snprintf(peer->end_reason, sizeof(peer->end_reason), "%s", reason);
	set_state(peer, BENCH_PEER_ENDED);
}

static const struct bench_ws_callbacks peer_ws_callbacks = {
    .on_open = ws_open,
    .on_text = ws_text,
    .on_end = ws_end,
};

int bench_peer_connect(struct bench_peer *peer, struct event_base *base,
                       const struct bench_ws_target *target, char *err, size_t err_size)
{
	peer->ws = bench_ws_connect(base, target, &peer_ws_callbacks, peer, err, err_size);
	if (peer->ws == NULL)
		return -1;
	peer->state = BENCH_PEER_CONNECTING;
	return 0;
}

int bench_peer_join(struct bench_peer *peer, const char *room)
{
	char message[160];
	int length =
	    snprintf(message, sizeof(message), "{\"type\":\"join\",\"room\":\"%s\"}", room);
	if (length < 0 || (size_t)length >= sizeof(message))
		return -1;
	if (bench_ws_send_text(peer->ws, message, (size_t)length) != 0)
		return -1;
	peer->state = BENCH_PEER_JOINING;
	return 0;
}

int bench_peer_relay(struct bench_peer *peer, const char *to, enum bench_relay_kind kind,
                     uint64_t now_ns)
{
	char message[sizeof(offer_sdp) + 512];
	int length;
	if (kind == BENCH_RELAY_OFFER)
		length = snprintf(message, sizeof(message),
		                  "{\"type\":\"offer\",\"to\":\"%s\",\"sdp\":\"%sa=%s " MARKER
		                  "%llu\\r\\n\"}",
		                  to, offer_sdp, candidate_line, (unsigned long long)now_ns);
	else
		length =
		    snprintf(message, sizeof(message),
		             "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":{\"candidate\":"
		             "\"%s " MARKER "%llu\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}",
		             to, candidate_line, (unsigned long long)now_ns);
	if (length < 0 || (size_t)length >= sizeof(message))
		return -1;
	return bench_ws_send_text(peer->ws, message, (size_t)length);
}

void bench_peer_close(struct bench_peer *peer)
{
	if (peer->ws != NULL && peer->state != BENCH_PEER_ENDED)
		bench_ws_close(peer->ws);
}

void bench_peer_release(struct bench_peer *peer)
{
	bench_ws_free(peer->ws);
	peer->ws = NULL;
}
