/*
 * route_static.c: the demo pages and the JavaScript client, read from
 * web_root. Only a fixed set of page names and files under js/ and css/ with
 * known extensions are served; paths with "..", hidden names or odd
 * characters are refused before the file system is touched.
 */
#include "common/log.h"
#include "signaling/conn.h"
#include "signaling/routes.h"
#include "signaling/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_FILE_MAX (1024 * 1024)

static const char *content_type_for(const char *path)
{
	static const struct {
		const char *extension, *type;
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].extension) == 0)
			return types[i].type;
	return NULL;
}

/* Maps a request path to a file below web_root, or returns -1. */
static int map_path(const char *path, char *relative, size_t size)
{
	if (strcmp(path, "/") == 0)
		return snprintf(relative, size, "index.html") < (int)size ? 0 : -1;
	if (strcmp(path, "/sender") == 0 || strcmp(path, "/receiver") == 0)
		return snprintf(relative, size, "%s.html", path + 1) < (int)size ? 0 : -1;
	for (const char *c = path + 1; *c; c++) {
		int allowed = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		              (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' ||
		              *c == '/';
		if (!allowed)
			return -1;
		if ((*c == '.' && c[-1] == '/') || (*c == '/' && c[-1] == '/'))
			return -1; /* hidden names, "..", empty segments */
	}
	return snprintf(relative, size, "%s", path + 1) < (int)size ? 0 : -1;
}

void route_static(struct server *server, struct conn *conn)
{
	char relative[256], full[CONFIG_PATH_MAX + 256];
	const char *type = NULL;
	if (map_path(conn->request->path, relative, sizeof(relative)) == 0)
		type = content_type_for(relative);
	if (!type) {
		conn_reply_error(conn, 404, "not_found", "no such resource");
		return;
	}
	snprintf(full, sizeof(full), "%s/%s", server->cfg->web_root, relative);
	int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat info;
	if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) ||
	    info.st_size > STATIC_FILE_MAX) {
		if (fd >= 0)
			close(fd);
		else if (errno != ENOENT)
			log_warn("static file %s: %s", relative, strerror(errno));
		conn_reply_error(conn, 404, "not_found", "no such resource");
		return;
	}
	char *body = malloc((size_t)info.st_size + 1);
	ssize_t got = body ? read(fd, body, (size_t)info.st_size) : -1;
	close(fd);
	if (got != info.st_size) {
		free(body);
		conn_reply_error(conn, 500, "server_error", "cannot read the file");
		return;
	}
	conn_reply(conn, 200, type,
	           "Content-Security-Policy: default-src 'self'; connect-src 'self' ws: wss:; "
	           "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
	           "media-src 'self' blob: mediastream:\r\n",
	           body, (size_t)got);
	free(body);
}
