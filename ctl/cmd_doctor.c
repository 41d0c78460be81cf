/*
 * cmd_doctor.c: "icegatectl doctor [--turnserver-conf FILE]", a check of
 * the whole installation that says what to fix: signaling.conf against
 * coturn's turnserver.conf, the permissions of the files that hold
 * secrets, the certificates of the signaling port and of TURN over TLS, the
 * database, and whether the daemon answers on its control socket. One line
 * per finding ("ok", "warn", "fail"), then a summary; the exit status is 1
 * when anything failed, so it can gate a deployment script.
 */
#include "ctl/ctl.h"
#include "ctl/doctor.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { OPTION_TURNSERVER_CONF = 256 };

void doctor_report(struct doctor *doctor, enum doctor_level level, const char *fmt, ...)
{
	static const char *const prefixes[] = {"ok  ", "warn", "fail"};
	doctor->warnings += level == DOCTOR_WARN;
	doctor->failures += level == DOCTOR_FAIL;
	va_list args;
	va_start(args, fmt);
	printf("%s  ", prefixes[level]);
	vprintf(fmt, args);
	putchar('\n');
	va_end(args);
}

static int is_local_host(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0;
}

/* coturn's cert= and pkey=, relative ones taken from turnserver.conf's
 * directory. Returns 0, or -1 after reporting why they cannot be read. */
static int turn_tls_files(struct doctor *doctor, char *cert, char *pkey, size_t size)
{
	char err[CONFIG_PATH_MAX + 64];
	cert[0] = pkey[0] = '\0';
	if (!doctor->cfg->turnserver_conf[0])
		return 0;
	char found_cert[CONFIG_PATH_MAX], found_pkey[CONFIG_PATH_MAX];
	if (config_turnserver_tls_files(doctor->cfg, found_cert, found_pkey, CONFIG_PATH_MAX, err,
	                                sizeof(err)) != 0)
		return -1; /* the turnserver.conf check reports it */
	char directory_copy[CONFIG_PATH_MAX];
	snprintf(directory_copy, sizeof(directory_copy), "%s", doctor->cfg->turnserver_conf);
	const char *directory = dirname(directory_copy);
	const char *found[] = {found_cert, found_pkey};
	char *out[] = {cert, pkey};
	for (int i = 0; i < 2; i++) {
		if (found[i][0] && found[i][0] != '/')
			snprintf(out[i], size, "%s/%s", directory, found[i]);
		else
			snprintf(out[i], size, "%s", found[i]);
	}
	return 0;
}

static void check_turnserver(struct doctor *doctor)
{
	const struct config *cfg = doctor->cfg;
	if (!cfg->turnserver_conf[0]) {
		doctor_report(
		    doctor, DOCTOR_WARN,
		    "turnserver.conf not checked: set turnserver_conf in signaling.conf or "
		    "pass --turnserver-conf FILE");
		return;
	}
	char report[8192];
	int problems = config_check_turnserver_file(cfg, report, sizeof(report));
	if (problems < 0) {
		doctor_report(doctor, DOCTOR_FAIL, "turnserver.conf: %s", report);
		return;
	}
	if (problems == 0) {
		doctor_report(doctor, DOCTOR_OK,
		              "turnserver.conf %s agrees with icegate's "
		              "configuration",
		              cfg->turnserver_conf);
		return;
	}
	for (char *line = strtok(report, "\n"); line; line = strtok(NULL, "\n"))
		doctor_report(doctor, DOCTOR_FAIL, "turnserver.conf %s: %s", cfg->turnserver_conf,
		              line);
}

static void check_certificates(struct doctor *doctor, const char *turn_cert, const char *turn_pkey)
{
	const struct config *cfg = doctor->cfg;
	if (cfg->cert[0])
		doctor_check_certificate(doctor, "certificate", cfg->cert, cfg->pkey, cfg->domain);
	else if (is_local_host(cfg->domain))
		doctor_report(doctor, DOCTOR_OK, "TLS is off (cert is not set), fine for %s",
		              cfg->domain);
	else
		doctor_report(
		    doctor, DOCTOR_WARN,
		    "TLS is off (cert is not set) for the public domain %s: browsers need "
		    "HTTPS and WSS there; set cert and pkey",
		    cfg->domain);
	if (turn_cert[0])
		doctor_check_certificate(doctor, "TURN certificate", turn_cert, turn_pkey,
		                         cfg->turn_host[0] ? cfg->turn_host : cfg->domain);
	else if (cfg->turn_tls)
		doctor_report(
		    doctor, DOCTOR_FAIL,
		    "turn_tls is on but turnserver.conf names no cert: add cert= and pkey= "
		    "to turnserver.conf, or set turn_tls = off");
}

static void check_database(struct doctor *doctor, struct ctl *ctl)
{
	struct stat status;
	if (stat(ctl->cfg.db_path, &status) != 0) {
		doctor_report(doctor, DOCTOR_WARN,
		              "no database at %s yet: icegate creates it at its first start (or "
		              "point -c/--db at the one it uses)",
		              ctl->cfg.db_path);
		return;
	}
	char err[1024];
	ctl->store = store_open(ctl->cfg.db_path, err, sizeof(err));
	if (!ctl->store) {
		doctor_report(doctor, DOCTOR_FAIL, "database %s: %s", ctl->cfg.db_path, err);
		return;
	}
	doctor_report(doctor, DOCTOR_OK, "database %s opens, schema version %d (current)",
	              ctl->cfg.db_path, store_schema_version(ctl->store));
}

static void check_daemon(struct doctor *doctor)
{
	json_t *request = json_pack("{s:s}", "cmd", "status");
	json_t *reply = NULL;
	char err[CONFIG_PATH_MAX + 256];
	enum ctl_control_result result =
	    request ? ctl_control_call(doctor->cfg, request, &reply, err, sizeof(err))
	            : CTL_CONTROL_FAILED;
	if (!request)
		snprintf(err, sizeof(err), "out of memory");
	json_decref(request);
	const char *error = result == CTL_CONTROL_ANSWERED ? ctl_reply_error(reply) : NULL;
	if (result == CTL_CONTROL_ANSWERED && !error) {
		const char *version = json_string_value(json_object_get(reply, "version"));
		doctor_report(doctor, DOCTOR_OK,
		              "icegate %s is running (pid %" JSON_INTEGER_FORMAT
		              ") and answers on its control socket",
		              version ? version : "?",
		              json_integer_value(json_object_get(reply, "pid")));
	} else if (result == CTL_CONTROL_ANSWERED) {
		doctor_report(doctor, DOCTOR_FAIL, "icegate answered status with %s", error);
	} else if (result == CTL_CONTROL_OFF) {
		doctor_report(doctor, DOCTOR_OK,
		              "control_socket is off: status, sessions and rooms "
		              "are unavailable");
	} else {
		doctor_report(doctor, result == CTL_CONTROL_FAILED ? DOCTOR_FAIL : DOCTOR_WARN,
		              "%s", err);
	}
	json_decref(reply);
}

int ctl_cmd_doctor(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"turnserver-conf", required_argument, NULL, OPTION_TURNSERVER_CONF},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_options options = {"doctor", "", longs};
	char err[CONFIG_PATH_MAX + 64];
	int option;
	ctl_options_start();
	while ((option = ctl_next_option(&options, argc, argv)) != -1) {
		if (option == '?')
			return CTL_USAGE;
		if (config_set(&ctl->cfg, "turnserver_conf", optarg, err, sizeof(err)) != 0)
			return ctl_usage("doctor: --turnserver-conf: %s", err);
	}
	if (ctl_positionals(&options, argc, argv, 0, "") < 0)
		return CTL_USAGE;

	struct doctor doctor = {&ctl->cfg, ctl->config_path, (int64_t)time(NULL), 0, 0};
	if (ctl->config_path)
		doctor_report(&doctor, DOCTOR_OK, "configuration %s", ctl->config_path);
	else
		doctor_report(
		    &doctor, DOCTOR_WARN,
		    "no configuration file given: checking the built-in defaults (pass -c "
		    "signaling.conf)");
	check_turnserver(&doctor);
	char turn_cert[CONFIG_PATH_MAX * 2], turn_pkey[CONFIG_PATH_MAX * 2];
	if (turn_tls_files(&doctor, turn_cert, turn_pkey, sizeof(turn_cert)) != 0)
		turn_cert[0] = turn_pkey[0] = '\0';
	/* Permissions first, as found, before opening the database changes them. */
	doctor_check_files(&doctor, turn_pkey);
	check_certificates(&doctor, turn_cert, turn_pkey);
	check_database(&doctor, ctl);
	check_daemon(&doctor);

	if (doctor.failures == 0 && doctor.warnings == 0)
		puts("doctor: everything looks right");
	else
		printf("doctor: %d failure%s, %d warning%s\n", doctor.failures,
		       doctor.failures == 1 ? "" : "s", doctor.warnings,
		       doctor.warnings == 1 ? "" : "s");
	return doctor.failures ? CTL_FAILURE : CTL_OK;
}
