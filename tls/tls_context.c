/*
 * tls_context.c: builds the server's SSL_CTX from the certificate and key
 * files with icegate's fixed protocol settings, and swaps it in on reload.
 * Errors name the option and the file, since the operator fixes files, not
 * OpenSSL error codes.
 */
#include "tls/tls_context.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* TLS 1.2 suites: ECDHE for forward secrecy, AEAD only (Mozilla's
 * "intermediate" list without its finite-field DHE entries). TLS 1.3 has
 * only AEAD suites; OpenSSL's default set and order are kept for it. */
#define TLS12_CIPHERS                                                                              \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_GROUPS "X25519:prime256v1:secp384r1"

static const unsigned char alpn_http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

/* The text of the oldest queued OpenSSL error, and an empty queue after. */
static const char *openssl_reason(char *out, size_t out_size)
{
	unsigned long code = ERR_peek_error();
	const char *reason = code ? ERR_reason_error_string(code) : NULL;
	snprintf(out, out_size, "%s", reason ? reason : "unknown OpenSSL error");
	ERR_clear_error();
	return out;
}

/* An encrypted key would make OpenSSL prompt on the terminal: refuse instead. */
static int refuse_passphrase(char *buffer, int size, int writing, void *arg)
{
	return 0;
}

/* Picks http/1.1 when the client offers it; without it the handshake goes on
 * with no ALPN rather than failing, as for clients that send none. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *out_length,
                       const unsigned char *offered, unsigned int offered_length, void *arg)
{
	unsigned char *selected = NULL;
	if (SSL_select_next_proto(&selected, out_length, alpn_http11, sizeof(alpn_http11), offered,
	                          offered_length) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = selected;
	return SSL_TLSEXT_ERR_OK;
}

/* 0 if path can be opened for reading, else -1 with err saying why. */
static int check_readable(const char *option, const char *path, char *err, size_t err_size)
{
	FILE *file = fopen(path, "r");
	if (!file) {
		snprintf(err, err_size, "%s %s: %s", option, path, strerror(errno));
		return -1;
	}
	fclose(file);
	return 0;
}

static int apply_settings(SSL_CTX *ctx, char *err, size_t err_size)
{
	char reason[160];
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Idle WebSockets are most connections: give their buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* Resumption through tickets only, so no per-session server cache. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_default_passwd_cb(ctx, refuse_passphrase);
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1) {
		snprintf(err, err_size, "cannot apply the TLS settings: %s",
		         openssl_reason(reason, sizeof(reason)));
		return -1;
	}
	return 0;
}

static int load_files(SSL_CTX *ctx, const char *cert_path, const char *pkey_path, char *err,
                      size_t err_size)
{
	char reason[160];
	if (check_readable("cert", cert_path, err, err_size) != 0 ||
	    check_readable("pkey", pkey_path, err, err_size) != 0)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		snprintf(err, err_size, "cert %s: not a PEM certificate chain (%s)", cert_path,
		         openssl_reason(reason, sizeof(reason)));
		return -1;
	}
	/* A key of the certificate's type is checked against it as it is
	 * loaded; one of another type only by SSL_CTX_check_private_key. */
	int key_loaded = SSL_CTX_use_PrivateKey_file(ctx, pkey_path, SSL_FILETYPE_PEM) == 1;
	unsigned long code = key_loaded ? 0 : ERR_peek_last_error();
	int mismatch = !key_loaded && ERR_GET_LIB(code) == ERR_LIB_X509 &&
	               ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH;
	if (!key_loaded && !mismatch) {
		snprintf(err, err_size, "pkey %s: not an unencrypted PEM private key (%s)",
		         pkey_path, openssl_reason(reason, sizeof(reason)));
		return -1;
	}
	if (mismatch || SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, err_size, "pkey %s does not match the certificate in %s", pkey_path,
		         cert_path);
		return -1;
	}
	return 0;
}

int tls_context_load(struct tls_context *tls, const char *cert_path, const char *pkey_path,
                     char *err, size_t err_size)
{
	char reason[160];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, err_size, "cannot create a TLS context: %s",
		         openssl_reason(reason, sizeof(reason)));
		return -1;
	}
	if (apply_settings(ctx, err, err_size) != 0 ||
	    load_files(ctx, cert_path, pkey_path, err, err_size) != 0) {
		SSL_CTX_free(ctx);
		return -1;
	}
	/* Connections accepted on the old context hold references to it. */
	SSL_CTX_free(tls->current);
	tls->current = ctx;
	return 0;
}

SSL *tls_context_new_connection(const struct tls_context *tls)
{
	if (!tls->current)
		return NULL;
	SSL *ssl = SSL_new(tls->current);
	if (!ssl)
		ERR_clear_error();
	return ssl;
}

void tls_context_describe(const struct tls_context *tls, char *out, size_t out_size)
{
	X509 *certificate = tls->current ? SSL_CTX_get0_certificate(tls->current) : NULL;
	BIO *text = BIO_new(BIO_s_mem());
	if (!certificate || !text) {
		snprintf(out, out_size, "no certificate");
		BIO_free(text);
		return;
	}
	BIO_puts(text, "subject ");
	X509_NAME_print_ex(text, X509_get_subject_name(certificate), 0,
	                   XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	BIO_puts(text, ", expires ");
	ASN1_TIME_print(text, X509_get0_notAfter(certificate));
	char *data = NULL;
	long length = BIO_get_mem_data(text, &data);
	snprintf(out, out_size, "%.*s", (int)length, data ? data : "");
	BIO_free(text);
}

void tls_context_free(struct tls_context *tls)
{
	SSL_CTX_free(tls->current);
	tls->current = NULL;
}
