/*
 * message.c: builders for the server's outgoing messages.
 */
#include "signaling/message.h"

#include "auth/roles.h"
#include "signaling/session.h"

json_t *message_roles(unsigned roles)
{
	json_t *list = json_array();
	if (roles & ROLE_SENDER)
		json_array_append_new(list, json_string("sender"));
	if (roles & ROLE_RECEIVER)
		json_array_append_new(list, json_string("receiver"));
	return list;
}

json_t *message_peer(const struct session *session)
{
	return json_pack("{s:s, s:s, s:o}", "id", session->id, "name", session->subject, "roles",
	                 message_roles(session->roles));
}

json_t *message_new(const char *type, const json_t *request)
{
	json_t *message = json_object();
	json_object_set_new(message, "type", json_string(type));
	json_t *id = request ? json_object_get(request, "id") : NULL;
	if (id && (json_is_string(id) || json_is_integer(id)))
		json_object_set(message, "ref", id);
	return message;
}
