/*
 * tls_bufferevent.h: one accepted connection on a TLS port, from its first
 * byte to its close_notify.
 *
 * A TLS client speaks first, with a handshake record (first byte 0x16). So
 * the first byte, peeked without being consumed, tells a TLS client from a
 * plain HTTP one that used http:// or ws:// by mistake; the caller answers the
 * latter in plain text. A TLS connection is then an OpenSSL bufferevent on the
 * socket: it reads and writes plain bytes like a socket bufferevent, and owns
 * the socket and its SSL (both freed with it).
 */
#ifndef ICEGATE_TLS_TLS_BUFFEREVENT_H
#define ICEGATE_TLS_TLS_BUFFEREVENT_H

#include "tls/tls_context.h"

#include <event2/util.h>
#include <stddef.h>

struct bufferevent;
struct event_base;

enum tls_first_byte {
	TLS_FIRST_BYTE_PENDING,   /* nothing to read yet */
	TLS_FIRST_BYTE_HANDSHAKE, /* a TLS handshake record begins */
	TLS_FIRST_BYTE_OTHER,     /* anything else: plain HTTP, probably */
	TLS_FIRST_BYTE_CLOSED,    /* the peer closed or the socket failed */
};

/* Looks at the first byte waiting on fd without consuming it. */
enum tls_first_byte tls_peek_first_byte(evutil_socket_t fd);

/* A bufferevent that accepts TLS on fd with the current context of tls. It
 * owns fd from then on, and its callbacks see BEV_EVENT_ERROR when the
 * handshake fails. Returns NULL on failure (out of memory, or no context), in
 * which case fd may already be closed: the caller must not use it again. */
struct bufferevent *tls_bufferevent_accept(struct event_base *base, evutil_socket_t fd,
                                           const struct tls_context *tls);

/* 1 if bev is a TLS bufferevent. */
int tls_bufferevent_is_tls(struct bufferevent *bev);

/* Sends close_notify, telling the client our side ended cleanly (a truncated
 * response would otherwise look the same to it). Call once nothing else is
 * left to write; does nothing before the handshake completed or on a plain
 * bufferevent. */
void tls_bufferevent_close_notify(struct bufferevent *bev);

/* The last TLS error recorded on bev, as text, for a debug log line. */
void tls_bufferevent_last_error(struct bufferevent *bev, char *out, size_t out_size);

#endif
