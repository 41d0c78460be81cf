/*
 * doctor.h: what the files of "icegatectl doctor" share. Each check prints
 * its findings as it goes, one line each, starting "ok", "warn" or "fail",
 * and a finding that is not ok says what to do about it. The checks of one
 * concern live in one file: the configuration, the daemon and the database
 * in cmd_doctor.c, file permissions in doctor_files.c, certificates in
 * doctor_certs.c.
 */
#ifndef ICEGATE_CTL_DOCTOR_H
#define ICEGATE_CTL_DOCTOR_H

#include "config/config.h"

#include <stdint.h>
#include <sys/types.h>

#define DOCTOR_EXPIRY_WARNING_DAYS 14

enum doctor_level { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor {
	const struct config *cfg; /* borrowed */
	const char *config_path;  /* signaling.conf, or NULL when none was given */
	int64_t now;              /* unix seconds, one clock for every check */
	int warnings, failures;   /* findings so far */
};

/* Prints one finding and counts it. */
void doctor_report(struct doctor *doctor, enum doctor_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The files that hold secrets: the database (and its -wal and -shm), its
 * directory, the private keys, and signaling.conf when it holds jwt_secret.
 * turn_pkey is coturn's key ("" when none). */
void doctor_check_files(struct doctor *doctor, const char *turn_pkey);

/* One certificate and its key: dates, whether the key belongs to it, and
 * whether it covers host. what names it in the findings ("certificate",
 * "TURN certificate"). */
void doctor_check_certificate(struct doctor *doctor, const char *what, const char *cert_path,
                              const char *key_path, const char *host);

#endif
