/*
 * protocol.c: the protocol table and what the protocol files share: the
 * payload texts and the search for the send timestamp.
 *
 * Relayed benchmark messages are recognised without a JSON parser, by the
 * bench-ts marker, because at saturation the generator parses as many
 * messages as the server relays and must not become the bottleneck.
 */
#include "bench/loadgen/protocol.h"

#include <string.h>

/* A browser-like offer (one audio, one video section), JSON-escaped; the
 * timestamped candidate line is appended to it. */
const char bench_offer_sdp[] =
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

const char bench_candidate_line[] =
    "candidate:842163049 1 udp 1677729535 192.0.2.10 54400 typ srflx raddr 0.0.0.0 "
    "rport 0 generation 0 ufrag Fp9r network-cost 999";

const struct bench_protocol *bench_protocol_find(const char *name)
{
	static const struct bench_protocol *const all[] = {
	    &bench_protocol_icegate,
	    &bench_protocol_peerjs,
	    &bench_protocol_echo,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

int bench_protocol_find_timestamp(const char *text, size_t length, const char *key,
                                  uint64_t *sent_ns)
{
	const char *marker = memmem(text, length, BENCH_TS_MARKER, sizeof(BENCH_TS_MARKER) - 1);
	if (marker == NULL || (key != NULL && memmem(text, length, key, strlen(key)) == NULL))
		return 0;
	const char *p = marker + sizeof(BENCH_TS_MARKER) - 1;
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
