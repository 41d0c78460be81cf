/*
 * test_tls_cert_info.c: the certificate facts icegatectl doctor relies on.
 * Certificates are made here with OpenSSL (no fixture files that would
 * expire): their dates and names are read back, the expiry states switch at
 * the right second, a key is matched only to its own certificate (an
 * encrypted or missing key is an error, not a mismatch), and host coverage
 * follows the TLS rules for DNS names, wildcards, IPv4 and IPv6 addresses,
 * and the CN of a certificate without subjectAltName.
 */
#include "tls/cert_info.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define NOT_BEFORE 1700000000 /* 2023-11-14 22:13:20Z */
#define NOT_AFTER  1800000000 /* 2027-01-15 08:00:00Z */

struct fixture {
	char directory[64];
	char cert[128], key[128], other_key[128], encrypted_key[128], bare_cert[128],
	    key_then_cert[128], garbage[128], missing[128];
};

static EVP_PKEY *make_key(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(key);
	return key;
}

/* A certificate for common_name, with subjectAltName san unless NULL. */
static X509 *make_cert(EVP_PKEY *key, const char *common_name, const char *san)
{
	X509 *cert = X509_new();
	assert_non_null(cert);
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	ASN1_TIME_set(X509_getm_notBefore(cert), NOT_BEFORE);
	ASN1_TIME_set(X509_getm_notAfter(cert), NOT_AFTER);
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)common_name, -1,
	                           -1, 0);
	X509_set_issuer_name(cert, name);
	X509_set_pubkey(cert, key);
	if (san) {
		X509V3_CTX context;
		X509V3_set_ctx(&context, cert, cert, NULL, NULL, 0);
		X509_EXTENSION *extension =
		    X509V3_EXT_conf_nid(NULL, &context, NID_subject_alt_name, san);
		assert_non_null(extension);
		X509_add_ext(cert, extension, -1);
		X509_EXTENSION_free(extension);
	}
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	return cert;
}

static void write_file(const char *path, void (*write)(FILE *file, void *arg), void *arg)
{
	FILE *file = fopen(path, "w");
	assert_non_null(file);
	write(file, arg);
	assert_int_equal(fclose(file), 0);
}

static void write_cert(FILE *file, void *arg)
{
	assert_true(PEM_write_X509(file, arg));
}

static void write_key(FILE *file, void *arg)
{
	assert_true(PEM_write_PrivateKey(file, arg, NULL, NULL, 0, NULL, NULL));
}

static void write_encrypted_key(FILE *file, void *arg)
{
	unsigned char passphrase[] = "correct horse";
	assert_true(PEM_write_PrivateKey(file, arg, EVP_aes_256_cbc(), passphrase,
	                                 (int)strlen((char *)passphrase), NULL, NULL));
}

struct chain {
	X509 *leaf, *issuer;
	EVP_PKEY *key;
};

/* The leaf first, then another certificate, as in fullchain.pem. */
static void write_chain(FILE *file, void *arg)
{
	struct chain *chain = arg;
	assert_true(PEM_write_X509(file, chain->leaf));
	assert_true(PEM_write_X509(file, chain->issuer));
}

/* A combined file: the key, then the certificate. */
static void write_key_then_cert(FILE *file, void *arg)
{
	struct chain *chain = arg;
	assert_true(PEM_write_PrivateKey(file, chain->key, NULL, NULL, 0, NULL, NULL));
	assert_true(PEM_write_X509(file, chain->leaf));
}

static void write_garbage(FILE *file, void *arg)
{
	fputs("not a certificate\n", file);
}

static int setup(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));
	snprintf(fixture->directory, sizeof(fixture->directory), "/tmp/cert-info-XXXXXX");
	assert_non_null(mkdtemp(fixture->directory));
#define PATH(field, name)                                                                          \
	snprintf(fixture->field, sizeof(fixture->field), "%s/%s", fixture->directory, name)
	PATH(cert, "fullchain.pem");
	PATH(key, "privkey.pem");
	PATH(other_key, "other.pem");
	PATH(encrypted_key, "encrypted.pem");
	PATH(bare_cert, "bare.pem");
	PATH(key_then_cert, "combined.pem");
	PATH(garbage, "garbage.pem");
	PATH(missing, "missing.pem");
#undef PATH
	EVP_PKEY *key = make_key(), *other = make_key();
	struct chain chain = {
	    make_cert(key, "example.org",
	              "DNS:example.org,DNS:*.example.net,IP:192.0.2.7,IP:2001:db8::1"),
	    make_cert(other, "Test Issuer", NULL), key};
	X509 *bare = make_cert(other, "bare.example.com", NULL);
	write_file(fixture->cert, write_chain, &chain);
	write_file(fixture->key, write_key, key);
	write_file(fixture->other_key, write_key, other);
	write_file(fixture->encrypted_key, write_encrypted_key, key);
	write_file(fixture->bare_cert, write_cert, bare);
	write_file(fixture->key_then_cert, write_key_then_cert, &chain);
	write_file(fixture->garbage, write_garbage, NULL);
	X509_free(chain.leaf);
	X509_free(chain.issuer);
	X509_free(bare);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;
	const char *files[] = {fixture->cert,          fixture->key,       fixture->other_key,
	                       fixture->encrypted_key, fixture->bare_cert, fixture->key_then_cert,
	                       fixture->garbage};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(fixture->directory);
	free(fixture);
	return 0;
}

static void load(const char *path, struct cert_info *info)
{
	char err[256] = "";
	if (cert_info_load(info, path, err, sizeof(err)) != 0)
		fail_msg("loading %s: %s", path, err);
}

static void test_reads_the_leaf_of_a_chain(void **state)
{
	struct fixture *fixture = *state;
	struct cert_info info;
	load(fixture->cert, &info);
	assert_int_equal(info.not_before, NOT_BEFORE);
	assert_int_equal(info.not_after, NOT_AFTER);
	assert_string_equal(info.subject, "CN=example.org");
	assert_string_equal(info.names, "example.org, *.example.net, 192.0.2.7, 2001:db8::1");
	cert_info_free(&info);
	assert_null(info.leaf);

	/* A key before the certificate in one file is skipped over. */
	load(fixture->key_then_cert, &info);
	assert_string_equal(info.subject, "CN=example.org");
	cert_info_free(&info);
}

static void test_names_fall_back_to_the_common_name(void **state)
{
	struct fixture *fixture = *state;
	struct cert_info info;
	load(fixture->bare_cert, &info);
	assert_string_equal(info.names, "bare.example.com");
	assert_int_equal(cert_info_covers(&info, "bare.example.com"), 1);
	assert_int_equal(cert_info_covers(&info, "example.com"), 0);
	cert_info_free(&info);
}

static void test_load_errors(void **state)
{
	struct fixture *fixture = *state;
	struct cert_info info;
	char err[256];
	assert_int_equal(cert_info_load(&info, fixture->missing, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_non_null(strstr(err, fixture->missing));
	assert_int_equal(cert_info_load(&info, fixture->garbage, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "holds no PEM certificate"));
	assert_int_equal(cert_info_load(&info, fixture->key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "holds no PEM certificate"));
	assert_null(info.leaf);
}

static void test_validity_switches_at_the_right_second(void **state)
{
	struct fixture *fixture = *state;
	struct cert_info info;
	load(fixture->cert, &info);
	int64_t warn = 14 * 86400;
	assert_int_equal(cert_info_validity(&info, NOT_BEFORE - 1, warn), CERT_NOT_YET_VALID);
	assert_int_equal(cert_info_validity(&info, NOT_BEFORE, warn), CERT_VALID);
	assert_int_equal(cert_info_validity(&info, NOT_AFTER - warn - 1, warn), CERT_VALID);
	assert_int_equal(cert_info_validity(&info, NOT_AFTER - warn, warn), CERT_EXPIRING_SOON);
	assert_int_equal(cert_info_validity(&info, NOT_AFTER - 5 * 86400, warn),
	                 CERT_EXPIRING_SOON);
	assert_int_equal(cert_info_validity(&info, NOT_AFTER - 1, warn), CERT_EXPIRING_SOON);
	assert_int_equal(cert_info_validity(&info, NOT_AFTER, warn), CERT_EXPIRED);
	assert_int_equal(cert_info_validity(&info, NOT_AFTER + 86400, warn), CERT_EXPIRED);
	cert_info_free(&info);
}

static void test_key_matching(void **state)
{
	struct fixture *fixture = *state;
	struct cert_info info;
	load(fixture->cert, &info);
	char err[256] = "";
	assert_int_equal(cert_info_key_matches(&info, fixture->key, err, sizeof(err)), 1);
	assert_int_equal(cert_info_key_matches(&info, fixture->other_key, err, sizeof(err)), 0);
	assert_int_equal(cert_info_key_matches(&info, fixture->encrypted_key, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "encrypted"));
	assert_int_equal(cert_info_key_matches(&info, fixture->missing, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(cert_info_key_matches(&info, fixture->garbage, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "holds no PEM private key"));
	/* A certificate file is not a key either. */
	assert_int_equal(cert_info_key_matches(&info, fixture->bare_cert, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "holds no PEM private key"));
	cert_info_free(&info);
}

static void test_host_coverage(void **state)
{
	struct fixture *fixture = *state;
	struct cert_info info;
	load(fixture->cert, &info);
	const char *covered[] = {"example.org",          "EXAMPLE.org", "www.example.net",
	                         "turn.example.net",     "192.0.2.7",   "2001:db8::1",
	                         "2001:0db8:0:0:0:0:0:1"};
	const char *not_covered[] = {"example.net",
	                             "a.b.example.net",
	                             "www.example.org",
	                             "example.com",
	                             "192.0.2.8",
	                             "2001:db8::2",
	                             "localhost",
	                             "org",
	                             ""};
	for (size_t i = 0; i < sizeof(covered) / sizeof(covered[0]); i++)
		if (cert_info_covers(&info, covered[i]) != 1)
			fail_msg("%s should be covered", covered[i]);
	for (size_t i = 0; i < sizeof(not_covered) / sizeof(not_covered[0]); i++)
		if (cert_info_covers(&info, not_covered[i]) != 0)
			fail_msg("%s should not be covered", not_covered[i]);
	cert_info_free(&info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_the_leaf_of_a_chain),
	    cmocka_unit_test(test_names_fall_back_to_the_common_name),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_validity_switches_at_the_right_second),
	    cmocka_unit_test(test_key_matching),
	    cmocka_unit_test(test_host_coverage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
