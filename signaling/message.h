/*
 * message.h: building the JSON messages the server sends on a WebSocket, so
 * every handler spells a message type one way.
 */
#ifndef ICEGATE_SIGNALING_MESSAGE_H
#define ICEGATE_SIGNALING_MESSAGE_H

#include <jansson.h>

struct session;

/* ["sender","receiver"] for a ROLE_* bit set (new reference). */
json_t *message_roles(unsigned roles);
/* {"id","name","roles"} describing session as a peer (new reference). */
json_t *message_peer(const struct session *session);
/* {"type": type} plus "ref" copied from the request's "id" when it had one. */
json_t *message_new(const char *type, const json_t *request);

#endif
