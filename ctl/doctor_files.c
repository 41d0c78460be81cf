/*
 * doctor_files.c: doctor's permission checks on the files that hold
 * secrets. The database holds password hashes, refresh token hashes and the
 * JWT secret; the private keys and a signaling.conf with jwt_secret are
 * secrets themselves. None may be readable or writable by every user
 * (fail). The database may be shared with a group (coturn writes to it);
 * a key or secret readable by a group is a warning, fine when the group is
 * meant to read it (Debian's ssl-cert). And icegate itself must be able to
 * use them: the daemon's user is the owner of its control socket (or of the
 * database), and a -wal file it cannot write, for example one a root
 * icegatectl created, is a failure with the chown that fixes it.
 */
#include "ctl/ctl.h"
#include "ctl/doctor.h"

#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NO_USER    ((uid_t)-1)
#define GROUPS_MAX 256

enum file_kind {
	FILE_DATABASE, /* the database and its -wal/-shm: icegate reads and writes */
	FILE_SECRET,   /* keys, signaling.conf with jwt_secret: icegate reads */
};

enum { CAN_EXECUTE = 1, CAN_WRITE = 2, CAN_READ = 4 };

static void user_name(uid_t uid, char *out, size_t out_size)
{
	struct passwd *entry = getpwuid(uid);
	if (entry)
		snprintf(out, out_size, "%s", entry->pw_name);
	else
		snprintf(out, out_size, "uid %ld", (long)uid);
}

static void group_name(gid_t gid, char *out, size_t out_size)
{
	struct group *entry = getgrgid(gid);
	if (entry)
		snprintf(out, out_size, "%s", entry->gr_name);
	else
		snprintf(out, out_size, "gid %ld", (long)gid);
}

static int in_group(uid_t uid, gid_t gid)
{
	struct passwd *entry = getpwuid(uid);
	if (!entry)
		return 0;
	if (entry->pw_gid == gid)
		return 1;
	gid_t groups[GROUPS_MAX];
	int count = GROUPS_MAX;
	if (getgrouplist(entry->pw_name, entry->pw_gid, groups, &count) < 0)
		return 0;
	for (int i = 0; i < count; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/* Whether uid may do want (CAN_* bits) on a file with status, by its mode. */
static int user_can(uid_t uid, const struct stat *status, int want)
{
	if (uid == 0)
		return 1;
	int granted;
	if (status->st_uid == uid)
		granted = (status->st_mode >> 6) & 7;
	else if (in_group(uid, status->st_gid))
		granted = (status->st_mode >> 3) & 7;
	else
		granted = status->st_mode & 7;
	return (granted & want) == want;
}

/* The user icegate runs as: the owner of its control socket, else of the
 * database; NO_USER when neither exists yet. */
static uid_t daemon_user(const struct config *cfg)
{
	char path[CONFIG_PATH_MAX], err[256];
	struct stat status;
	if (config_control_socket_path(cfg, path, sizeof(path), err, sizeof(err)) == 0 &&
	    lstat(path, &status) == 0 && S_ISSOCK(status.st_mode))
		return status.st_uid;
	if (stat(cfg->db_path, &status) == 0)
		return status.st_uid;
	return NO_USER;
}

static void check_file(struct doctor *doctor, const char *what, const char *path,
                       enum file_kind kind, uid_t daemon)
{
	struct stat status;
	if (stat(path, &status) != 0)
		return; /* absent files are the other checks' business */
	char owner[64], group[64], runs_as[64];
	user_name(status.st_uid, owner, sizeof(owner));
	group_name(status.st_gid, group, sizeof(group));
	unsigned mode = (unsigned)(status.st_mode & 07777);
	int problems = 0;
	if (status.st_mode & (S_IROTH | S_IWOTH)) {
		doctor_report(doctor, DOCTOR_FAIL,
		              "%s %s can be %s by every user (mode %04o): chmod o-rwx %s", what,
		              path, (status.st_mode & S_IWOTH) ? "written" : "read", mode, path);
		problems++;
	}
	if (problems == 0 && kind == FILE_SECRET && (status.st_mode & (S_IRGRP | S_IWGRP))) {
		doctor_report(doctor, DOCTOR_WARN,
		              "%s %s can be read by group %s (mode %04o): chmod g-rwx %s unless "
		              "that group is meant to read it",
		              what, path, group, mode, path);
		problems++;
	}
	if (daemon != NO_USER) {
		int want = kind == FILE_DATABASE ? CAN_READ | CAN_WRITE : CAN_READ;
		user_name(daemon, runs_as, sizeof(runs_as));
		if (!user_can(daemon, &status, want)) {
			doctor_report(
			    doctor, DOCTOR_FAIL,
			    "icegate runs as %s and cannot %s %s %s (owner %s, mode %04o): "
			    "chown %s %s",
			    runs_as, want & CAN_WRITE ? "write" : "read", what, path, owner, mode,
			    runs_as, path);
			problems++;
		}
	}
	if (problems == 0)
		doctor_report(doctor, DOCTOR_OK, "%s %s: mode %04o, owner %s", what, path, mode,
		              owner);
}

static void check_directory(struct doctor *doctor, const char *db_path, uid_t daemon)
{
	char copy[CONFIG_PATH_MAX];
	snprintf(copy, sizeof(copy), "%s", db_path);
	const char *directory = dirname(copy);
	struct stat status;
	if (stat(directory, &status) != 0)
		return;
	unsigned mode = (unsigned)(status.st_mode & 07777);
	int problems = 0;
	if ((status.st_mode & S_IWOTH) && !(status.st_mode & S_ISVTX)) {
		doctor_report(doctor, DOCTOR_FAIL,
		              "database directory %s can be written by every user (mode %04o), who "
		              "could replace the database: chmod o-w %s",
		              directory, mode, directory);
		problems++;
	}
	if (daemon != NO_USER && !user_can(daemon, &status, CAN_WRITE | CAN_EXECUTE)) {
		char runs_as[64];
		user_name(daemon, runs_as, sizeof(runs_as));
		doctor_report(
		    doctor, DOCTOR_FAIL,
		    "icegate runs as %s and cannot create files in the database directory "
		    "%s (SQLite needs to, for -wal and -shm): chown %s %s",
		    runs_as, directory, runs_as, directory);
		problems++;
	}
	if (problems == 0)
		doctor_report(doctor, DOCTOR_OK, "database directory %s: mode %04o", directory,
		              mode);
}

void doctor_check_files(struct doctor *doctor, const char *turn_pkey)
{
	const struct config *cfg = doctor->cfg;
	uid_t daemon = daemon_user(cfg);
	check_directory(doctor, cfg->db_path, daemon);
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char path[CONFIG_PATH_MAX + 8];
		snprintf(path, sizeof(path), "%s%s", cfg->db_path, suffixes[i]);
		check_file(doctor, "database file", path, FILE_DATABASE, daemon);
	}
	if (cfg->pkey[0])
		check_file(doctor, "private key", cfg->pkey, FILE_SECRET, daemon);
	if (turn_pkey[0] && strcmp(turn_pkey, cfg->pkey) != 0)
		check_file(doctor, "TURN private key", turn_pkey, FILE_SECRET, NO_USER);
	if (doctor->config_path && cfg->jwt_secret[0])
		check_file(doctor, "configuration (it holds jwt_secret)", doctor->config_path,
		           FILE_SECRET, daemon);
}
