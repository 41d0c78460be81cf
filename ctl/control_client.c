/*
 * control_client.c: icegatectl's side of the control socket (docs/control.md).
 * It connects to the path the daemon's configuration gives, sends one JSON
 * request line and reads one JSON reply line within a time limit. When the
 * daemon cannot be asked, the message says which of the usual reasons it is
 * (not running, a socket left by a killed daemon, permissions) and what to
 * check, because "connection refused" alone does not tell an operator much.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REPLY_TIMEOUT_MS 10000       /* the daemon answers in well under its own 5 s deadline */
#define REPLY_MAX        (64u << 20) /* a session list of a very busy daemon fits */

static const char permission_hint[] = "run icegatectl as root or as the user icegate runs as";

static int64_t now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static enum ctl_control_result connect_socket(const char *path, int *fd_out, char *err,
                                              size_t err_size)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "cannot create a socket: %s", strerror(errno));
		return CTL_CONTROL_FAILED;
	}
	struct sockaddr_un address;
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	/* config_control_socket_path made sure the path fits. */
	memcpy(address.sun_path, path, strnlen(path, sizeof(address.sun_path) - 1));
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0) {
		*fd_out = fd;
		return CTL_CONTROL_ANSWERED;
	}
	int connect_errno = errno;
	close(fd);
	switch (connect_errno) {
	case ENOENT:
		snprintf(err, err_size,
		         "icegate is not running (no control socket at %s); start it, or point "
		         "-c/--db at the configuration it runs with",
		         path);
		return CTL_CONTROL_NOT_RUNNING;
	case ECONNREFUSED:
		snprintf(err, err_size,
		         "icegate is not running (nothing answers on the control socket %s, left "
		         "by a daemon that stopped; its next start replaces it)",
		         path);
		return CTL_CONTROL_NOT_RUNNING;
	case EACCES:
	case EPERM:
		snprintf(err, err_size, "permission denied on the control socket %s: %s", path,
		         permission_hint);
		return CTL_CONTROL_DENIED;
	default:
		snprintf(err, err_size, "cannot connect to the control socket %s: %s", path,
		         strerror(connect_errno));
		return CTL_CONTROL_FAILED;
	}
}

static int send_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0)
			return -1;
		data += sent;
		length -= (size_t)sent;
	}
	return 0;
}

/* Reads up to the first newline into a new string (*line). Returns 0, or
 * -1 with err filled. */
static int read_line(int fd, const char *path, char **line, char *err, size_t err_size)
{
	size_t used = 0, capacity = 4096;
	char *buffer = malloc(capacity);
	int64_t deadline = now_ms() + REPLY_TIMEOUT_MS;
	while (buffer) {
		char *newline = memchr(buffer, '\n', used);
		if (newline) {
			*newline = '\0';
			*line = buffer;
			return 0;
		}
		int64_t left = deadline - now_ms();
		struct pollfd wait = {fd, POLLIN, 0};
		int ready = left > 0 ? poll(&wait, 1, (int)left) : 0;
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0) {
			snprintf(err, err_size, "icegate did not answer on %s within %d seconds",
			         path, REPLY_TIMEOUT_MS / 1000);
			break;
		}
		if (used == capacity) {
			char *grown = capacity < REPLY_MAX ? realloc(buffer, capacity * 2) : NULL;
			if (!grown) {
				snprintf(err, err_size, "icegate's reply on %s is too large", path);
				break;
			}
			buffer = grown;
			capacity *= 2;
		}
		ssize_t got = ready < 0 ? -1 : recv(fd, buffer + used, capacity - used, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(err, err_size,
			         "icegate closed the control connection on %s without "
			         "an answer",
			         path);
			break;
		}
		used += (size_t)got;
	}
	if (!buffer)
		snprintf(err, err_size, "out of memory");
	free(buffer);
	return -1;
}

enum ctl_control_result ctl_control_call(const struct config *cfg, const json_t *request,
                                         json_t **reply, char *err, size_t err_size)
{
	*reply = NULL;
	char path[CONFIG_PATH_MAX];
	int off = config_control_socket_path(cfg, path, sizeof(path), err, err_size);
	if (off < 0)
		return CTL_CONTROL_FAILED;
	if (off > 0) {
		snprintf(err, err_size,
		         "live commands need the control socket, and control_socket "
		         "is off in the configuration");
		return CTL_CONTROL_OFF;
	}
	int fd = -1;
	enum ctl_control_result result = connect_socket(path, &fd, err, err_size);
	if (result != CTL_CONTROL_ANSWERED)
		return result;
	char *text = json_dumps(request, JSON_COMPACT);
	char *line = NULL;
	result = CTL_CONTROL_FAILED;
	if (!text) {
		snprintf(err, err_size, "out of memory");
	} else if (send_all(fd, text, strlen(text)) != 0 || send_all(fd, "\n", 1) != 0) {
		/* A daemon that will not serve us says why and closes before
		 * reading: its one line may still be there to read. */
		int send_errno = errno;
		if (read_line(fd, path, &line, err, err_size) == 0)
			result = CTL_CONTROL_ANSWERED;
		else
			snprintf(err, err_size, "sending to the control socket %s: %s", path,
			         strerror(send_errno));
	} else if (read_line(fd, path, &line, err, err_size) == 0) {
		result = CTL_CONTROL_ANSWERED;
	}
	free(text);
	close(fd);
	if (result != CTL_CONTROL_ANSWERED)
		return result;

	json_error_t json_error;
	*reply = json_loads(line, 0, &json_error);
	free(line);
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		snprintf(err, err_size, "icegate's reply on %s is not a JSON object", path);
		return CTL_CONTROL_FAILED;
	}
	const char *code = ctl_reply_error(*reply);
	if (code && strcmp(code, "forbidden") == 0) {
		snprintf(err, err_size, "icegate refused this user on the control socket %s: %s",
		         path, permission_hint);
		json_decref(*reply);
		*reply = NULL;
		return CTL_CONTROL_DENIED;
	}
	return CTL_CONTROL_ANSWERED;
}

int ctl_control_request(struct ctl *ctl, json_t *request, json_t **reply)
{
	char err[CONFIG_PATH_MAX + 256];
	*reply = NULL;
	enum ctl_control_result result =
	    request ? ctl_control_call(&ctl->cfg, request, reply, err, sizeof(err))
	            : CTL_CONTROL_FAILED;
	if (!request)
		snprintf(err, sizeof(err), "out of memory");
	json_decref(request);
	return result == CTL_CONTROL_ANSWERED ? CTL_OK : ctl_fail("%s", err);
}

const char *ctl_reply_error(const json_t *reply)
{
	return json_string_value(json_object_get(reply, "error"));
}

int ctl_reply_failure(const json_t *reply)
{
	const char *message = json_string_value(json_object_get(reply, "message"));
	const char *code = ctl_reply_error(reply);
	if (!message)
		message = code ? code : "icegate answered with an error";
	if (code && strcmp(code, "bad_request") == 0)
		return ctl_usage("%s", message);
	return ctl_fail("%s", message);
}

int ctl_control_show(struct ctl *ctl, json_t *request, const char *field, int json,
                     void (*print)(const json_t *value))
{
	json_t *reply;
	if (ctl_control_request(ctl, request, &reply) != CTL_OK)
		return CTL_FAILURE;
	json_t *value = field ? json_object_get(reply, field) : reply;
	int result = CTL_OK;
	if (ctl_reply_error(reply))
		result = ctl_reply_failure(reply);
	else if (field && !json_is_array(value))
		result = ctl_fail("icegate's reply has no %s list", field);
	else if (json)
		result = ctl_print_json(json_incref(value));
	else
		print(value);
	json_decref(reply);
	return result;
}
