/*
 * tls_context.h: the server's TLS settings and certificate, as one OpenSSL
 * SSL_CTX that can be replaced while connections are open.
 *
 * A context is built from two PEM files: cert, the certificate chain with the
 * server's certificate first (Let's Encrypt's fullchain.pem), and pkey, its
 * unencrypted private key (privkey.pem). Settings are fixed and modern: TLS 1.2
 * at least and 1.3 preferred, ECDHE key exchange with AEAD ciphers only for
 * 1.2, the server's cipher order, no compression, no renegotiation, session
 * tickets, ALPN "http/1.1". Loading again (on SIGHUP) builds a new SSL_CTX and
 * swaps it in: each connection holds a reference to the context it was
 * accepted with, so open connections keep theirs and new ones get the new
 * one. A load that fails leaves the current context as it was.
 */
#ifndef ICEGATE_TLS_TLS_CONTEXT_H
#define ICEGATE_TLS_TLS_CONTEXT_H

#include <stddef.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

struct tls_context {
	SSL_CTX *current; /* owned reference; NULL until a load succeeds (TLS off) */
};

/* Builds a context from cert_path and pkey_path and makes it the current one.
 * Returns 0, or -1 with err naming the file and what is wrong with it (missing,
 * unreadable, not PEM, encrypted key, key not matching the certificate); the
 * current context is then unchanged. */
int tls_context_load(struct tls_context *tls, const char *cert_path, const char *pkey_path,
                     char *err, size_t err_size);

/* A new server-side connection object on the current context, or NULL when
 * there is none or memory ran out. The caller owns it (SSL_free). */
SSL *tls_context_new_connection(const struct tls_context *tls);

/* "subject CN = example.com, expires Jun  1 12:00:00 2026 GMT" for the current
 * certificate, for the log line that confirms a (re)load. */
void tls_context_describe(const struct tls_context *tls, char *out, size_t out_size);

/* Drops the current context; connections still holding it keep it alive. */
void tls_context_free(struct tls_context *tls);

#endif
