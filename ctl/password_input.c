/*
 * password_input.c: how icegatectl gets a new password without it ever
 * appearing on a command line (where ps and shell history would show it):
 * either piped on standard input (--password-stdin, for scripts) or typed at
 * the terminal twice with echo off. A password is never echoed, logged or
 * printed, and the buffers holding it are wiped.
 */
#include "ctl/ctl.h"

#include "auth/password.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Room to read: the longest password, a "\r\n", and one byte to notice more. */
#define INPUT_MAX (PASSWORD_MAX_LENGTH + 3)

/* Checks and copies a password of length bytes from input into out. */
static int password_accept(const char *input, size_t length, char *out, size_t out_size)
{
	if (length == 0)
		return ctl_fail("the password is empty");
	if (length > PASSWORD_MAX_LENGTH || length >= out_size)
		return ctl_fail("the password is longer than %d bytes", PASSWORD_MAX_LENGTH);
	if (memchr(input, '\0', length))
		return ctl_fail("the password contains a NUL byte");
	memcpy(out, input, length);
	out[length] = '\0';
	return CTL_OK;
}

/* Drops exactly one line ending: "\n" or "\r\n". */
static size_t strip_one_newline(const char *input, size_t length)
{
	if (length > 0 && input[length - 1] == '\n') {
		length--;
		if (length > 0 && input[length - 1] == '\r')
			length--;
	}
	return length;
}

static int password_from_stdin(char *out, size_t out_size)
{
	char input[INPUT_MAX];
	size_t length = 0;
	while (length < sizeof(input)) {
		ssize_t n = read(STDIN_FILENO, input + length, sizeof(input) - length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			explicit_bzero(input, sizeof(input));
			return ctl_fail("reading the password from standard input: %s",
			                strerror(errno));
		}
		if (n == 0)
			break;
		length += (size_t)n;
	}
	int result = password_accept(input, strip_one_newline(input, length), out, out_size);
	explicit_bzero(input, sizeof(input));
	return result;
}

/* A signal during the prompt must interrupt read() (no SA_RESTART) so the
 * terminal's echo is restored before the program exits. */
static void on_interrupt(int signal_number)
{
	(void)signal_number;
}

static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define PROMPT_SIGNAL_COUNT (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

/* Prompts once with echo off (already switched off by the caller) and reads
 * one line into input; returns its length without the newline, or -1 after
 * printing the error. The terminal does not echo the Enter key either, so the
 * newline is printed here. */
static ssize_t prompt_line(const char *prompt, char *input, size_t input_size)
{
	fputs(prompt, stderr);
	fflush(stderr);
	ssize_t n = read(STDIN_FILENO, input, input_size);
	fputc('\n', stderr);
	if (n < 0 && errno == EINTR) {
		ctl_fail("cancelled");
		return -1;
	}
	if (n < 0) {
		ctl_fail("reading the password: %s", strerror(errno));
		return -1;
	}
	if (n == 0) {
		ctl_fail("no password given");
		return -1;
	}
	if ((size_t)n == input_size && input[n - 1] != '\n') {
		/* Discard the rest of the overlong line before failing. */
		tcflush(STDIN_FILENO, TCIFLUSH);
		ctl_fail("the password is longer than %d bytes", PASSWORD_MAX_LENGTH);
		return -1;
	}
	return (ssize_t)strip_one_newline(input, (size_t)n);
}

static int password_from_terminal(char *out, size_t out_size)
{
	struct termios saved, quiet;
	if (tcgetattr(STDIN_FILENO, &saved) != 0)
		return ctl_fail("cannot read the terminal settings: %s", strerror(errno));
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;

	struct sigaction action, previous[PROMPT_SIGNAL_COUNT];
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_interrupt;
	sigemptyset(&action.sa_mask);
	for (size_t i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		sigaction(prompt_signals[i], &action, &previous[i]);

	int result = CTL_FAILURE;
	char first[INPUT_MAX], second[INPUT_MAX];
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
		ctl_fail("cannot switch off the terminal's echo: %s", strerror(errno));
		goto restore_signals;
	}
	ssize_t first_length = prompt_line("New password: ", first, sizeof(first));
	if (first_length < 0)
		goto restore_terminal;
	ssize_t second_length = prompt_line("Repeat the password: ", second, sizeof(second));
	if (second_length < 0)
		goto restore_terminal;
	if (first_length != second_length || memcmp(first, second, (size_t)first_length) != 0) {
		ctl_fail("the passwords do not match");
		goto restore_terminal;
	}
	result = password_accept(first, (size_t)first_length, out, out_size);

restore_terminal:
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
restore_signals:
	for (size_t i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		sigaction(prompt_signals[i], &previous[i], NULL);
	explicit_bzero(first, sizeof(first));
	explicit_bzero(second, sizeof(second));
	return result;
}

int ctl_password_read(int from_stdin, char *out, size_t out_size)
{
	if (from_stdin)
		return password_from_stdin(out, out_size);
	if (!isatty(STDIN_FILENO))
		return ctl_usage("standard input is not a terminal: pass --password-stdin to read "
		                 "the password from it");
	return password_from_terminal(out, out_size);
}
