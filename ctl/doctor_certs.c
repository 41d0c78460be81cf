/*
 * doctor_certs.c: doctor's certificate checks. A certificate fails where a
 * browser or TURN client would refuse it: expired or not yet valid, a key
 * that is not its own (the daemon would not start), or a name that does not
 * cover the host clients connect to. One that ends within
 * DOCTOR_EXPIRY_WARNING_DAYS is a warning, with time left to renew it.
 */
#include "ctl/ctl.h"
#include "ctl/doctor.h"
#include "tls/cert_info.h"

#include <stdio.h>

static void check_dates(struct doctor *doctor, const char *what, const char *path,
                        const struct cert_info *info)
{
	char until[32], from[32];
	ctl_format_time(info->not_after, until, sizeof(until));
	ctl_format_time(info->not_before, from, sizeof(from));
	int64_t warning = (int64_t)DOCTOR_EXPIRY_WARNING_DAYS * 86400;
	switch (cert_info_validity(info, doctor->now, warning)) {
	case CERT_EXPIRED:
		doctor_report(doctor, DOCTOR_FAIL, "%s %s expired on %s: renew it", what, path,
		              until);
		break;
	case CERT_NOT_YET_VALID:
		doctor_report(doctor, DOCTOR_FAIL,
		              "%s %s is not valid before %s: check the clock, or the certificate",
		              what, path, from);
		break;
	case CERT_EXPIRING_SOON: {
		int64_t days =
		    (info->not_after - doctor->now + 86399) / 86400; /* a day begun counts */
		doctor_report(doctor, DOCTOR_WARN,
		              "%s %s expires in %lld day%s (%s): renew it (then send SIGHUP)", what,
		              path, (long long)days, days == 1 ? "" : "s", until);
		break;
	}
	case CERT_VALID:
		doctor_report(doctor, DOCTOR_OK, "%s %s is valid until %s (%s)", what, path, until,
		              info->subject);
		break;
	}
}

void doctor_check_certificate(struct doctor *doctor, const char *what, const char *cert_path,
                              const char *key_path, const char *host)
{
	struct cert_info info;
	char err[CONFIG_PATH_MAX + 128];
	if (cert_info_load(&info, cert_path, err, sizeof(err)) != 0) {
		doctor_report(doctor, DOCTOR_FAIL, "%s: %s", what, err);
		return;
	}
	check_dates(doctor, what, cert_path, &info);
	if (!key_path[0]) {
		doctor_report(doctor, DOCTOR_FAIL,
		              "%s %s has no private key configured: set its pkey", what, cert_path);
	} else {
		int matches = cert_info_key_matches(&info, key_path, err, sizeof(err));
		if (matches < 0)
			doctor_report(doctor, DOCTOR_FAIL, "%s key: %s", what, err);
		else if (matches == 0)
			doctor_report(doctor, DOCTOR_FAIL,
			              "%s key %s does not belong to %s: configure the key the "
			              "certificate was issued for",
			              what, key_path, cert_path);
		else
			doctor_report(doctor, DOCTOR_OK, "%s key %s belongs to the certificate",
			              what, key_path);
	}
	if (cert_info_covers(&info, host))
		doctor_report(doctor, DOCTOR_OK, "%s %s covers %s", what, cert_path, host);
	else
		doctor_report(
		    doctor, DOCTOR_FAIL,
		    "%s %s does not cover %s (it covers: %s): get a certificate for %s, or "
		    "correct the host name in the configuration",
		    what, cert_path, host, info.names[0] ? info.names : "no names", host);
	cert_info_free(&info);
}
