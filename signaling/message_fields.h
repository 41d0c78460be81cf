/*
 * message_fields.h: validation of the fields clients put in signaling
 * messages. Pure functions over parsed JSON, so each rule is unit-tested
 * without a connection; the handlers call them and turn a rejection into a
 * bad_request error.
 */
#ifndef ICEGATE_SIGNALING_MESSAGE_FIELDS_H
#define ICEGATE_SIGNALING_MESSAGE_FIELDS_H

#include <jansson.h>

#define MESSAGE_ID_MAX 64   /* characters of a string "id" */
#define CHAT_TEXT_MAX  4096 /* characters of a chat "text" */

/* 1 if message has no "id", or an integer one, or a string of at most
 * MESSAGE_ID_MAX characters. */
int message_id_valid(const json_t *message);

/* The SDP text of "sdp", given as a string or as {"type","sdp"}; NULL when
 * missing, empty or mistyped. Borrowed from message. */
json_t *message_sdp(const json_t *message);

/* "candidate" reduced to the known RTCIceCandidateInit fields (candidate,
 * sdpMid, sdpMLineIndex, usernameFragment), or JSON null for
 * end-of-candidates. NULL when invalid. New reference. */
json_t *message_candidate(const json_t *message);

/* The chat "text" when it is a string of 1..CHAT_TEXT_MAX characters, else
 * NULL. Borrowed from message. */
const char *message_chat_text(const json_t *message);

#endif
