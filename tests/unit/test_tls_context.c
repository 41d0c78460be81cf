/*
 * test_tls_context.c: building and swapping the server's TLS context. A good
 * certificate and key load; a key of another certificate (same or other key
 * type), a missing file, a file that is not PEM and an encrypted key are
 * refused with the file named; a reload swaps the context while a connection
 * made before keeps the old certificate; a failed reload keeps the current
 * one. Handshakes over memory BIOs check the protocol settings: TLS 1.1 is
 * refused by the server, 1.2 gets an ECDHE AEAD suite, 1.3 is preferred, and
 * ALPN picks http/1.1. Certificates are made fresh in a temporary directory.
 */
#include "tls/tls_context.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct files {
	char dir[64];
	char alpha_cert[128], alpha_key[128]; /* CN=alpha, P-256 */
	char beta_cert[128], beta_key[128];   /* CN=beta, P-256 */
	char rsa_key[128];                    /* an RSA key of no certificate */
	char encrypted_key[128];              /* alpha's key under a passphrase */
	char not_pem[128];                    /* text that is no PEM at all */
	char missing[128];                    /* never created */
};

static void write_key(const char *path, EVP_PKEY *key, const EVP_CIPHER *cipher)
{
	FILE *file = fopen(path, "w");
	assert_non_null(file);
	assert_int_equal(PEM_write_PrivateKey(file, key, cipher, NULL, 0, NULL,
	                                      cipher ? (void *)"passphrase" : NULL),
	                 1);
	fclose(file);
}

/* A self-signed certificate for key with common name cn, written to path. */
static void write_certificate(const char *path, EVP_PKEY *key, const char *cn, long serial)
{
	X509 *certificate = X509_new();
	assert_non_null(certificate);
	X509_set_version(certificate, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial);
	X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
	X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
	X509_NAME *name = X509_get_subject_name(certificate);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(certificate, name);
	X509_set_pubkey(certificate, key);
	assert_true(X509_sign(certificate, key, EVP_sha256()) > 0);
	FILE *file = fopen(path, "w");
	assert_non_null(file);
	assert_int_equal(PEM_write_X509(file, certificate), 1);
	fclose(file);
	X509_free(certificate);
}

static int make_files(void **state)
{
	struct files *files = calloc(1, sizeof(*files));
	assert_non_null(files);
	snprintf(files->dir, sizeof(files->dir), "/tmp/icegate-tls-XXXXXX");
	assert_non_null(mkdtemp(files->dir));
#define PATH(field, name) snprintf(files->field, sizeof(files->field), "%s/" name, files->dir)
	PATH(alpha_cert, "alpha.crt");
	PATH(alpha_key, "alpha.key");
	PATH(beta_cert, "beta.crt");
	PATH(beta_key, "beta.key");
	PATH(rsa_key, "rsa.key");
	PATH(encrypted_key, "encrypted.key");
	PATH(not_pem, "not-pem.crt");
	PATH(missing, "missing.pem");
#undef PATH
	EVP_PKEY *alpha = EVP_EC_gen("P-256"), *beta = EVP_EC_gen("P-256");
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	assert_non_null(alpha);
	assert_non_null(beta);
	assert_non_null(rsa);
	write_certificate(files->alpha_cert, alpha, "alpha", 1);
	write_certificate(files->beta_cert, beta, "beta", 2);
	write_key(files->alpha_key, alpha, NULL);
	write_key(files->beta_key, beta, NULL);
	write_key(files->rsa_key, rsa, NULL);
	write_key(files->encrypted_key, alpha, EVP_aes_128_cbc());
	FILE *text = fopen(files->not_pem, "w");
	assert_non_null(text);
	fputs("this is not a certificate\n", text);
	fclose(text);
	EVP_PKEY_free(alpha);
	EVP_PKEY_free(beta);
	EVP_PKEY_free(rsa);
	*state = files;
	return 0;
}

static int remove_files(void **state)
{
	struct files *files = *state;
	const char *paths[] = {files->alpha_cert, files->alpha_key, files->beta_cert,
	                       files->beta_key,   files->rsa_key,   files->encrypted_key,
	                       files->not_pem};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		unlink(paths[i]);
	rmdir(files->dir);
	free(files);
	return 0;
}

/* The common name of the certificate a connection presents. */
static void common_name_of(SSL *ssl, char *out, size_t size)
{
	X509 *certificate = SSL_get_certificate(ssl);
	assert_non_null(certificate);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName,
	                                      out, (int)size) > 0);
}

static void test_loads_certificate_and_key(void **state)
{
	struct files *files = *state;
	struct tls_context tls = {0};
	char err[512] = "";
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->alpha_key, err, sizeof(err)), 0);
	assert_non_null(tls.current);
	char description[256];
	tls_context_describe(&tls, description, sizeof(description));
	assert_non_null(strstr(description, "CN = alpha"));
	assert_non_null(strstr(description, "expires "));
	assert_int_equal(ERR_peek_error(), 0);
	tls_context_free(&tls);
	assert_null(tls.current);
}

static void test_refuses_key_of_another_certificate(void **state)
{
	struct files *files = *state;
	struct tls_context tls = {0};
	char err[512];
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->beta_key, err, sizeof(err)), -1);
	assert_null(tls.current);
	assert_non_null(strstr(err, files->beta_key));
	assert_non_null(strstr(err, "does not match the certificate"));
	assert_non_null(strstr(err, files->alpha_cert));
	/* A key of another type is caught by the final check instead. */
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->rsa_key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, files->rsa_key));
	assert_non_null(strstr(err, "does not match the certificate"));
	assert_null(tls.current);
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_refuses_missing_file(void **state)
{
	struct files *files = *state;
	struct tls_context tls = {0};
	char err[512];
	assert_int_equal(tls_context_load(&tls, files->missing, files->alpha_key, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "cert "));
	assert_non_null(strstr(err, files->missing));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->missing, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pkey "));
	assert_non_null(strstr(err, files->missing));
	assert_null(tls.current);
}

static void test_refuses_text_that_is_not_pem(void **state)
{
	struct files *files = *state;
	struct tls_context tls = {0};
	char err[512];
	assert_int_equal(tls_context_load(&tls, files->not_pem, files->alpha_key, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, files->not_pem));
	assert_non_null(strstr(err, "not a PEM certificate"));
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->not_pem, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an unencrypted PEM private key"));
	assert_null(tls.current);
	assert_int_equal(ERR_peek_error(), 0);
}

/* An encrypted key would make OpenSSL ask for a passphrase on the terminal:
 * a daemon must fail instead of waiting for one. */
static void test_refuses_encrypted_key_without_prompting(void **state)
{
	struct files *files = *state;
	struct tls_context tls = {0};
	char err[512];
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->encrypted_key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, files->encrypted_key));
	assert_non_null(strstr(err, "not an unencrypted PEM private key"));
	assert_null(tls.current);
	/* Where there is no terminal the default callback fails too; this is
	 * what keeps a daemon started from one from stopping to ask. */
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->alpha_key, err, sizeof(err)), 0);
	pem_password_cb *ask = SSL_CTX_get_default_passwd_cb(tls.current);
	assert_non_null(ask);
	char passphrase[64];
	assert_true(ask(passphrase, sizeof(passphrase), 0, NULL) <= 0);
	tls_context_free(&tls);
}

static void test_reload_swaps_and_earlier_connections_keep_theirs(void **state)
{
	struct files *files = *state;
	struct tls_context tls = {0};
	char err[512], name[64];
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->alpha_key, err, sizeof(err)), 0);
	SSL_CTX *first = tls.current;
	SSL *before = tls_context_new_connection(&tls);
	assert_non_null(before);

	assert_int_equal(
	    tls_context_load(&tls, files->beta_cert, files->beta_key, err, sizeof(err)), 0);
	assert_ptr_not_equal(tls.current, first);
	SSL *after = tls_context_new_connection(&tls);
	assert_non_null(after);
	common_name_of(after, name, sizeof(name));
	assert_string_equal(name, "beta");
	/* The earlier connection holds the first context alive, certificate and all. */
	tls_context_free(&tls);
	common_name_of(before, name, sizeof(name));
	assert_string_equal(name, "alpha");
	SSL_free(before);
	SSL_free(after);
}

static void test_failed_reload_keeps_current(void **state)
{
	struct files *files = *state;
	struct tls_context tls = {0};
	char err[512], description[256];
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->alpha_key, err, sizeof(err)), 0);
	SSL_CTX *current = tls.current;
	assert_int_equal(
	    tls_context_load(&tls, files->beta_cert, files->alpha_key, err, sizeof(err)), -1);
	assert_ptr_equal(tls.current, current);
	assert_int_equal(tls_context_load(&tls, files->missing, files->beta_key, err, sizeof(err)),
	                 -1);
	assert_ptr_equal(tls.current, current);
	tls_context_describe(&tls, description, sizeof(description));
	assert_non_null(strstr(description, "CN = alpha"));
	SSL *connection = tls_context_new_connection(&tls);
	assert_non_null(connection);
	SSL_free(connection);
	tls_context_free(&tls);
}

static void test_without_context_there_are_no_connections(void **state)
{
	struct tls_context tls = {0};
	char description[64];
	assert_null(tls_context_new_connection(&tls));
	tls_context_describe(&tls, description, sizeof(description));
	assert_string_equal(description, "no certificate");
	tls_context_free(&tls);
}

/* ---- handshakes over memory BIOs ---- */

struct handshake {
	SSL *server, *client;
	int completed;          /* both sides finished */
	int server_refused;     /* the server failed the handshake */
	unsigned long refusals; /* the server's reason, when it refused */
};

/* One step of a handshake side: 1 done, 0 wants more, -1 failed. */
static int step(SSL *ssl)
{
	int result = SSL_do_handshake(ssl);
	if (result == 1)
		return 1;
	int error = SSL_get_error(ssl, result);
	return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

static void run_handshake(const struct tls_context *tls, SSL_CTX *client_ctx, struct handshake *out)
{
	memset(out, 0, sizeof(*out));
	out->server = tls_context_new_connection(tls);
	out->client = SSL_new(client_ctx);
	assert_non_null(out->server);
	assert_non_null(out->client);
	BIO *server_io = NULL, *client_io = NULL;
	assert_int_equal(BIO_new_bio_pair(&server_io, 0, &client_io, 0), 1);
	SSL_set_bio(out->server, server_io, server_io);
	SSL_set_bio(out->client, client_io, client_io);
	SSL_set_accept_state(out->server);
	SSL_set_connect_state(out->client);
	static const unsigned char protocols[] = {2,   'h', '2', 8,   'h', 't',
	                                          't', 'p', '/', '1', '.', '1'};
	SSL_set_alpn_protos(out->client, protocols, sizeof(protocols));
	int server_state = 0, client_state = 0;
	for (int round = 0; round < 20 && server_state >= 0 && client_state >= 0; round++) {
		if (client_state == 0)
			client_state = step(out->client);
		if (server_state == 0) {
			server_state = step(out->server);
			if (server_state < 0)
				out->refusals = ERR_peek_last_error();
		}
		if (server_state == 1 && client_state == 1)
			break;
	}
	out->completed = server_state == 1 && client_state == 1;
	out->server_refused = server_state < 0;
	ERR_clear_error();
}

static void handshake_free(struct handshake *handshake)
{
	SSL_free(handshake->server);
	SSL_free(handshake->client);
}

static SSL_CTX *client_context(int min_version, int max_version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	/* Let this client offer old protocols, so the server is what refuses. */
	SSL_CTX_set_security_level(ctx, 0);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0"), 1);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, min_version), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, max_version), 1);
	return ctx;
}

static void test_protocol_minimum_is_tls12(void **state)
{
	struct files *files = *state;
	struct tls_context tls = {0};
	char err[512];
	assert_int_equal(
	    tls_context_load(&tls, files->alpha_cert, files->alpha_key, err, sizeof(err)), 0);
	assert_int_equal(SSL_CTX_get_min_proto_version(tls.current), TLS1_2_VERSION);

	struct handshake handshake;
	SSL_CTX *old = client_context(TLS1_VERSION, TLS1_1_VERSION);
	run_handshake(&tls, old, &handshake);
	assert_false(handshake.completed);
	assert_true(handshake.server_refused);
	assert_int_equal(ERR_GET_REASON(handshake.refusals), SSL_R_UNSUPPORTED_PROTOCOL);
	handshake_free(&handshake);
	SSL_CTX_free(old);

	/* TLS 1.2: only ECDHE with an AEAD cipher, in the server's order, even
	 * when the client would rather have CBC, plain RSA key exchange or
	 * AES-256 first. */
	SSL_CTX *tls12 = client_context(TLS1_2_VERSION, TLS1_2_VERSION);
	assert_int_equal(SSL_CTX_set_cipher_list(tls12,
	                                         "AES128-SHA:ECDHE-ECDSA-AES128-SHA:"
	                                         "ECDHE-ECDSA-AES256-GCM-SHA384:"
	                                         "ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0"),
	                 1);
	run_handshake(&tls, tls12, &handshake);
	assert_true(handshake.completed);
	assert_int_equal(SSL_version(handshake.server), TLS1_2_VERSION);
	assert_string_equal(SSL_get_cipher_name(handshake.server), "ECDHE-ECDSA-AES128-GCM-SHA256");
	handshake_free(&handshake);
	/* No AEAD suite offered: no handshake. */
	assert_int_equal(SSL_CTX_set_cipher_list(tls12, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"), 1);
	run_handshake(&tls, tls12, &handshake);
	assert_false(handshake.completed);
	assert_true(handshake.server_refused);
	handshake_free(&handshake);
	SSL_CTX_free(tls12);

	/* A client that can do both gets 1.3, and http/1.1 out of h2 and http/1.1. */
	SSL_CTX *modern = client_context(TLS1_2_VERSION, 0);
	run_handshake(&tls, modern, &handshake);
	assert_true(handshake.completed);
	assert_int_equal(SSL_version(handshake.server), TLS1_3_VERSION);
	const unsigned char *alpn = NULL;
	unsigned int alpn_length = 0;
	SSL_get0_alpn_selected(handshake.client, &alpn, &alpn_length);
	assert_int_equal(alpn_length, 8);
	assert_memory_equal(alpn, "http/1.1", 8);
	handshake_free(&handshake);
	SSL_CTX_free(modern);
	tls_context_free(&tls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loads_certificate_and_key),
	    cmocka_unit_test(test_refuses_key_of_another_certificate),
	    cmocka_unit_test(test_refuses_missing_file),
	    cmocka_unit_test(test_refuses_text_that_is_not_pem),
	    cmocka_unit_test(test_refuses_encrypted_key_without_prompting),
	    cmocka_unit_test(test_reload_swaps_and_earlier_connections_keep_theirs),
	    cmocka_unit_test(test_failed_reload_keeps_current),
	    cmocka_unit_test(test_without_context_there_are_no_connections),
	    cmocka_unit_test(test_protocol_minimum_is_tls12),
	};
	return cmocka_run_group_tests(tests, make_files, remove_files);
}
