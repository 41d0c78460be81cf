/*
 * cert_info.h: what an operator needs to know about a certificate file
 * before clients find out: when it expires, whether its private key is the
 * one beside it, and which host names it covers. icegatectl doctor reads
 * the daemon's and coturn's certificates through this; nothing here serves
 * TLS (tls_context.h does).
 *
 * The certificate is the first one in a PEM file, as in a chain file with
 * the server's certificate first (Let's Encrypt's fullchain.pem).
 */
#ifndef ICEGATE_TLS_CERT_INFO_H
#define ICEGATE_TLS_CERT_INFO_H

#include <stddef.h>
#include <stdint.h>

typedef struct x509_st X509;

#define CERT_INFO_TEXT_MAX 512

struct cert_info {
	int64_t not_before;               /* unix seconds */
	int64_t not_after;                /* unix seconds */
	char subject[CERT_INFO_TEXT_MAX]; /* one line, e.g. "CN=example.org" */
	char names[CERT_INFO_TEXT_MAX];   /* DNS and IP names covered, comma separated
	                                   * (subjectAltName; the CN when there is none) */
	X509 *leaf;                       /* owned */
};

enum cert_validity {
	CERT_VALID,         /* and not expiring within the warning period */
	CERT_EXPIRING_SOON, /* valid now, but not after the warning period */
	CERT_EXPIRED,
	CERT_NOT_YET_VALID,
};

/* Reads the first certificate of the PEM file at path. Returns 0, or -1
 * with err saying what is wrong (missing, unreadable, no certificate). */
int cert_info_load(struct cert_info *info, const char *path, char *err, size_t err_size);
void cert_info_free(struct cert_info *info);

/* The certificate's state at now, warning when it ends within warn_seconds. */
enum cert_validity cert_info_validity(const struct cert_info *info, int64_t now,
                                      int64_t warn_seconds);

/* Whether the unencrypted PEM private key at key_path belongs to the
 * certificate. Returns 1 yes, 0 no, -1 with err when the key cannot be read
 * (missing, not a key, encrypted). */
int cert_info_key_matches(const struct cert_info *info, const char *key_path, char *err,
                          size_t err_size);

/* 1 when the certificate is valid for host (a DNS name, wildcards as TLS
 * clients match them, or an IPv4/IPv6 address), else 0. */
int cert_info_covers(const struct cert_info *info, const char *host);

#endif
