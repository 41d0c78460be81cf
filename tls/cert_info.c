/*
 * cert_info.c: reading a certificate's dates, names and key with OpenSSL,
 * for the checks in cert_info.h. Host matching is OpenSSL's own
 * (X509_check_host, X509_check_ip_asc), the same rules TLS clients apply,
 * so "covers" here means a browser would accept the name.
 */
#include "tls/cert_info.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int asn1_time_to_unix(const ASN1_TIME *time_value, int64_t *out)
{
	struct tm broken_down;
	if (!time_value || ASN1_TIME_to_tm(time_value, &broken_down) != 1)
		return -1;
	*out = (int64_t)timegm(&broken_down);
	return 0;
}

/* Appends name to the comma list in out, dropping what does not fit. */
static void append_name(char *out, size_t out_size, const char *name)
{
	size_t used = strlen(out);
	if (used + (used ? 2 : 0) + strlen(name) + 1 <= out_size)
		snprintf(out + used, out_size - used, "%s%s", used ? ", " : "", name);
}

static void collect_names(struct cert_info *info)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(info->leaf, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
		char text[INET6_ADDRSTRLEN + 1] = "";
		if (name->type == GEN_DNS) {
			const unsigned char *data = ASN1_STRING_get0_data(name->d.dNSName);
			int length = ASN1_STRING_length(name->d.dNSName);
			char dns[256];
			snprintf(dns, sizeof(dns), "%.*s", length, (const char *)data);
			append_name(info->names, sizeof(info->names), dns);
		} else if (name->type == GEN_IPADD) {
			int length = ASN1_STRING_length(name->d.iPAddress);
			const unsigned char *data = ASN1_STRING_get0_data(name->d.iPAddress);
			if (length == 4 || length == 16)
				inet_ntop(length == 4 ? AF_INET : AF_INET6, data, text,
				          sizeof(text));
			if (text[0])
				append_name(info->names, sizeof(info->names), text);
		}
	}
	GENERAL_NAMES_free(names);
	if (info->names[0])
		return;
	char common_name[256];
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(info->leaf), NID_commonName,
	                              common_name, sizeof(common_name)) > 0)
		append_name(info->names, sizeof(info->names), common_name);
}

static void describe_subject(struct cert_info *info)
{
	BIO *text = BIO_new(BIO_s_mem());
	if (text &&
	    X509_NAME_print_ex(text, X509_get_subject_name(info->leaf), 0, XN_FLAG_RFC2253) >= 0) {
		int length = BIO_read(text, info->subject, (int)sizeof(info->subject) - 1);
		info->subject[length > 0 ? length : 0] = '\0';
	}
	BIO_free(text);
}

int cert_info_load(struct cert_info *info, const char *path, char *err, size_t err_size)
{
	memset(info, 0, sizeof(*info));
	FILE *file = fopen(path, "r");
	if (!file) {
		snprintf(err, err_size, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	info->leaf = PEM_read_X509(file, NULL, NULL, NULL);
	fclose(file);
	ERR_clear_error();
	if (!info->leaf) {
		snprintf(err, err_size, "%s holds no PEM certificate", path);
		return -1;
	}
	if (asn1_time_to_unix(X509_get0_notBefore(info->leaf), &info->not_before) != 0 ||
	    asn1_time_to_unix(X509_get0_notAfter(info->leaf), &info->not_after) != 0) {
		snprintf(err, err_size, "%s: the certificate's validity dates cannot be read",
		         path);
		cert_info_free(info);
		return -1;
	}
	describe_subject(info);
	collect_names(info);
	return 0;
}

void cert_info_free(struct cert_info *info)
{
	X509_free(info->leaf);
	info->leaf = NULL;
}

enum cert_validity cert_info_validity(const struct cert_info *info, int64_t now,
                                      int64_t warn_seconds)
{
	if (now < info->not_before)
		return CERT_NOT_YET_VALID;
	if (now >= info->not_after)
		return CERT_EXPIRED;
	if (info->not_after - now <= warn_seconds)
		return CERT_EXPIRING_SOON;
	return CERT_VALID;
}

/* Refuses to prompt for a passphrase: the daemon cannot type one either. */
static int no_passphrase(char *buffer, int size, int rwflag, void *arg)
{
	return -1;
}

int cert_info_key_matches(const struct cert_info *info, const char *key_path, char *err,
                          size_t err_size)
{
	FILE *file = fopen(key_path, "r");
	if (!file) {
		snprintf(err, err_size, "cannot read %s: %s", key_path, strerror(errno));
		return -1;
	}
	EVP_PKEY *key = PEM_read_PrivateKey(file, NULL, no_passphrase, NULL);
	fclose(file);
	if (!key) {
		unsigned long reason = ERR_peek_last_error();
		ERR_clear_error();
		int encrypted = ERR_GET_REASON(reason) == PEM_R_BAD_PASSWORD_READ ||
		                ERR_GET_REASON(reason) == PEM_R_PROBLEMS_GETTING_PASSWORD;
		snprintf(err, err_size, "%s: %s", key_path,
		         encrypted ? "the private key is encrypted; give an unencrypted one"
		                   : "holds no PEM private key");
		return -1;
	}
	const EVP_PKEY *public_key = X509_get0_pubkey(info->leaf);
	int matches = public_key && EVP_PKEY_eq(public_key, key) == 1;
	EVP_PKEY_free(key);
	ERR_clear_error();
	return matches;
}

int cert_info_covers(const struct cert_info *info, const char *host)
{
	unsigned char address[16];
	int is_address =
	    inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
	int covered = is_address ? X509_check_ip_asc(info->leaf, host, 0) == 1
	                         : X509_check_host(info->leaf, host, strlen(host), 0, NULL) == 1;
	ERR_clear_error();
	return covered;
}
