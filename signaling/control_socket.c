/*
 * control_socket.c: the control socket's file. A daemon killed with SIGKILL
 * leaves its socket file behind, and binding over it fails, so a start first
 * tries to connect: refused means nobody listens and the file can go; an
 * answer means another icegate is running on this database, and starting a
 * second one beside it is refused. The socket is made with mode 0600 from
 * the start (umask around bind), not chmod'ed after a window where others
 * could connect. At shutdown only the file we bound is removed, so a daemon
 * that already replaced us keeps its socket.
 */
#include "signaling/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_LISTEN_BACKLOG 16

static void fill_address(struct sockaddr_un *address, const char *path)
{
	memset(address, 0, sizeof(*address));
	address->sun_family = AF_UNIX;
	snprintf(address->sun_path, sizeof(address->sun_path), "%s", path);
}

/* Returns 0 when path is free (missing, or a dead daemon's socket, now
 * removed), or -1 with err filled. */
static int clear_stale_socket(const char *path, char *err, size_t err_size)
{
	struct stat status;
	if (lstat(path, &status) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, err_size, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(status.st_mode)) {
		snprintf(err, err_size,
		         "control socket path %s exists and is not a socket: remove it or set "
		         "control_socket to another path",
		         path);
		return -1;
	}
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		snprintf(err, err_size, "control socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_un address;
	fill_address(&address, path);
	int connected = connect(probe, (struct sockaddr *)&address, sizeof(address));
	int connect_errno = errno;
	close(probe);
	if (connected == 0) {
		snprintf(err, err_size,
		         "another icegate is running with control socket %s (stop it, or give "
		         "this one another database or control_socket)",
		         path);
		return -1;
	}
	if (connect_errno != ECONNREFUSED && connect_errno != ENOENT) {
		snprintf(err, err_size, "control socket %s: %s", path, strerror(connect_errno));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, err_size, "removing the stale control socket %s: %s", path,
		         strerror(errno));
		return -1;
	}
	return 0;
}

int control_socket_open(const char *path, struct control_socket_file *file, char *err,
                        size_t err_size)
{
	memset(file, 0, sizeof(*file));
	if (clear_stale_socket(path, err, err_size) != 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "control socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_un address;
	fill_address(&address, path);
	mode_t previous_umask = umask(0177);
	int bound = bind(fd, (struct sockaddr *)&address, sizeof(address));
	int bind_errno = errno;
	umask(previous_umask);
	if (bound != 0) {
		close(fd);
		if (bind_errno == EADDRINUSE)
			snprintf(err, err_size,
			         "another icegate is running with control socket %s (it started "
			         "at the same moment)",
			         path);
		else
			snprintf(err, err_size,
			         "cannot create the control socket %s: %s (set control_socket to a "
			         "writable path, or to off)",
			         path, strerror(bind_errno));
		return -1;
	}
	struct stat status;
	if (chmod(path, 0600) != 0 || stat(path, &status) != 0 ||
	    listen(fd, CONTROL_LISTEN_BACKLOG) != 0) {
		snprintf(err, err_size, "control socket %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	snprintf(file->path, sizeof(file->path), "%s", path);
	file->device = status.st_dev;
	file->inode = status.st_ino;
	return fd;
}

void control_socket_remove(const struct control_socket_file *file)
{
	struct stat status;
	if (file->path[0] && lstat(file->path, &status) == 0 && status.st_dev == file->device &&
	    status.st_ino == file->inode)
		unlink(file->path);
}
