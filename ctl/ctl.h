/*
 * ctl.h: what icegatectl's command files share. Each command family (user,
 * token, turn, apikey, secret, status, sessions, rooms, doctor) is one file
 * exporting one entry point with the same shape, listed in main.c's command
 * table; inside a family, each subcommand is one row of that
 * file's own table. Errors are printed once, here, as "icegatectl: ...", and
 * turned into the exit codes scripts rely on.
 */
#ifndef ICEGATE_CTL_CTL_H
#define ICEGATE_CTL_CTL_H

#include "config/config.h"
#include "db/store.h"

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum ctl_exit { CTL_OK = 0, CTL_FAILURE = 1, CTL_USAGE = 2 };

struct ctl {
	struct config cfg;       /* defaults, then -c FILE, then --db */
	struct store *store;     /* owned; NULL until a command needs it */
	const char *config_path; /* borrowed from argv: the -c FILE, or NULL */
};

/* A command family's entry point. argv[0] is the family's name ("user");
 * returns a ctl_exit code. */
typedef int (*ctl_command_fn)(struct ctl *ctl, int argc, char **argv);

int ctl_cmd_user(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_token(struct ctl *ctl, int argc, char **argv);
/* "user list", in its own file for its output formats; argv[0] is "list". */
int ctl_user_list(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_turn(struct ctl *ctl, int argc, char **argv);
/* "turn list-revoked", in its own file for its output formats. */
int ctl_turn_list_revoked(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_apikey(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_secret(struct ctl *ctl, int argc, char **argv);
/* The live commands, answered by the running daemon over its control socket. */
int ctl_cmd_status(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_sessions(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_rooms(struct ctl *ctl, int argc, char **argv);
/* Checks the installation and says what to fix (cmd_doctor.c). */
int ctl_cmd_doctor(struct ctl *ctl, int argc, char **argv);

/* Prints "icegatectl: <message>" on stderr; returns CTL_FAILURE. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "icegatectl: <message>" and a hint to use --help on stderr; returns
 * CTL_USAGE. */
int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens the store at cfg.db_path unless already open. Returns 0, or -1 after
 * printing the error. */
int ctl_open_store(struct ctl *ctl);

/* Parses a role list ("sender", "receiver", "sender,receiver") into its
 * canonical text form. Returns 0, or -1 after printing a usage error. */
int ctl_parse_roles(const char *text, char *out, size_t out_size);

/* Formats unix seconds as "YYYY-MM-DD HH:MM:SSZ" (the number itself if it
 * cannot be shown as a date). */
void ctl_format_time(int64_t seconds, char *out, size_t out_size);

/* Table output: a cell's width in characters (not bytes), and a cell
 * printed on stdout padded to width plus two spaces. */
size_t ctl_display_width(const char *text);
void ctl_print_padded(const char *text, size_t width);

/* Prints value as indented JSON on stdout and releases it; NULL stands for
 * "building it ran out of memory". Returns CTL_OK, or CTL_FAILURE after
 * printing the error. */
int ctl_print_json(json_t *value);
/* Prints count rows (each size bytes, starting at rows) as a JSON array of
 * to_json's objects, through ctl_print_json. */
int ctl_print_json_rows(const void *rows, size_t count, size_t size,
                        json_t *(*to_json)(const void *row));

/* Looks a user up, printing "no user 'NAME'" when missing. Returns 0 found,
 * or -1 after printing the error (missing or database failure). */
int ctl_find_user(struct ctl *ctl, const char *name, struct store_user *out);

/*
 * Subcommand option parsing. A subcommand is described by its name, its
 * options (getopt_long table and short string) and how many positional
 * arguments it takes. ctl_next_option wraps getopt_long so that every
 * subcommand reports unknown options and missing values the same way.
 */
struct ctl_options {
	const char *command;        /* "user add", for messages; NULL for global options */
	const char *short_options;  /* getopt string, without ':' (may start with '+') */
	const struct option *longs; /* getopt_long table, NULL-terminated */
};
/* Returns the next option (its getopt value), -1 at the end, or '?' after
 * printing a usage error. Call ctl_options_start first. */
void ctl_options_start(void);
int ctl_next_option(const struct ctl_options *options, int argc, char **argv);
/* After the options: checks that exactly count positional arguments remain
 * (named by names, e.g. "NAME ROLE" for messages) and returns the index of
 * the first, or -1 after printing a usage error. */
int ctl_positionals(const struct ctl_options *options, int argc, char **argv, int count,
                    const char *names);

/* For a subcommand that takes no options and one NAME: returns the index of
 * NAME in argv, or -1 after printing a usage error. */
int ctl_name_argument(const struct ctl_options *options, int argc, char **argv);

/* For a list subcommand ("user list"): takes only --json, setting *json.
 * Returns 0, or -1 after printing a usage error. */
int ctl_list_options(const char *command, int argc, char **argv, int *json);

/* ---- the running daemon's control socket (control_client.c) ---- */

enum ctl_control_result {
	CTL_CONTROL_ANSWERED,    /* *reply holds the daemon's answer */
	CTL_CONTROL_OFF,         /* control_socket = off */
	CTL_CONTROL_NOT_RUNNING, /* no socket, or nobody listening on it */
	CTL_CONTROL_DENIED,      /* the socket's permissions or the daemon refused us */
	CTL_CONTROL_FAILED,      /* timeout, broken reply, ... */
};
/* Sends request (borrowed) as one line and reads the one-line reply into
 * *reply (a new reference to a JSON object, which may be an error reply
 * {"error","message"}). Any other result leaves *reply NULL and fills err
 * with what happened and what to check. */
enum ctl_control_result ctl_control_call(const struct config *cfg, const json_t *request,
                                         json_t **reply, char *err, size_t err_size);
/* ctl_control_call for a live command: request is stolen; returns CTL_OK
 * with *reply, or CTL_FAILURE after printing why the daemon could not be
 * asked. */
int ctl_control_request(struct ctl *ctl, json_t *request, json_t **reply);
/* Asks the daemon (request is stolen) and shows the answer: the reply's
 * field (an array; the whole reply when field is NULL) as indented JSON
 * with json, else through print. Returns the exit code. */
int ctl_control_show(struct ctl *ctl, json_t *request, const char *field, int json,
                     void (*print)(const json_t *value));
/* The reply's "error" code, or NULL when it is not an error reply. */
const char *ctl_reply_error(const json_t *reply);
/* Prints an error reply's message and returns its exit code: CTL_USAGE for
 * bad_request (the request was malformed), else CTL_FAILURE. */
int ctl_reply_failure(const json_t *reply);

/* Reads a new password into out (room for PASSWORD_MAX_LENGTH + 1 bytes):
 * with from_stdin, all of standard input minus one trailing newline;
 * otherwise from the terminal, twice, without echo. Returns CTL_OK or the
 * exit code after printing the error. The caller wipes out after use. */
int ctl_password_read(int from_stdin, char *out, size_t out_size);

#endif
