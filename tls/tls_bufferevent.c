/*
 * tls_bufferevent.c: tells TLS from plain bytes on a new connection, wraps a
 * TLS one in an OpenSSL bufferevent, and ends it with close_notify. The OpenSSL
 * error queue is per thread and shared with everything else on the loop
 * thread, so every call made here leaves it empty.
 */
#include "tls/tls_bufferevent.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <sys/socket.h>

/* The record type of a TLS handshake (RFC 8446 section 5.1). */
#define TLS_RECORD_HANDSHAKE 0x16

enum tls_first_byte tls_peek_first_byte(evutil_socket_t fd)
{
	unsigned char first;
	ssize_t got = recv(fd, &first, 1, MSG_PEEK);
	if (got == 1)
		return first == TLS_RECORD_HANDSHAKE ? TLS_FIRST_BYTE_HANDSHAKE
		                                     : TLS_FIRST_BYTE_OTHER;
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return TLS_FIRST_BYTE_PENDING;
	return TLS_FIRST_BYTE_CLOSED;
}

struct bufferevent *tls_bufferevent_accept(struct event_base *base, evutil_socket_t fd,
                                           const struct tls_context *tls)
{
	SSL *ssl = tls_context_new_connection(tls);
	if (!ssl) {
		evutil_closesocket(fd);
		return NULL;
	}
	/* With BEV_OPT_CLOSE_ON_FREE the bufferevent frees ssl and closes fd,
	 * also when it fails after taking them. */
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	    base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	ERR_clear_error();
	if (!bev)
		return NULL;
	/* Browsers often close without close_notify: that is an end, not an
	 * error, once our answer is out. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

int tls_bufferevent_is_tls(struct bufferevent *bev)
{
	return bufferevent_openssl_get_ssl(bev) != NULL;
}

void tls_bufferevent_close_notify(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	if (!ssl || !SSL_is_init_finished(ssl))
		return;
	/* One attempt: the socket's send buffer was just drained, so the alert
	 * fits; if not, the client sees a TCP close without it. */
	SSL_shutdown(ssl);
	ERR_clear_error();
}

void tls_bufferevent_last_error(struct bufferevent *bev, char *out, size_t out_size)
{
	unsigned long code = bufferevent_get_openssl_error(bev);
	const char *reason = code ? ERR_reason_error_string(code) : NULL;
	snprintf(out, out_size, "%s", reason ? reason : code ? "TLS error" : "connection closed");
}
