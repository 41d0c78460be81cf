/*
 * config_paths.c: paths derived from other options, computed in one place so
 * the daemon and icegatectl agree on them. Today that is the control socket,
 * which lives beside the database unless control_socket names it.
 */
#include "config/config.h"

#include <stdio.h>
#include <string.h>
#include <sys/un.h>

int config_control_socket_path(const struct config *cfg, char *out, size_t out_size, char *err,
                               size_t err_size)
{
	if (strcmp(cfg->control_socket, "off") == 0)
		return 1;
	char path[CONFIG_PATH_MAX + 8];
	if (cfg->control_socket[0])
		snprintf(path, sizeof(path), "%s", cfg->control_socket);
	else
		snprintf(path, sizeof(path), "%s.sock", cfg->db_path);
	size_t limit = sizeof(((struct sockaddr_un *)0)->sun_path);
	if (strlen(path) >= limit || strlen(path) >= out_size) {
		snprintf(err, err_size,
		         "control socket path '%.64s...' is longer than %zu bytes; set "
		         "control_socket to a shorter path",
		         path, limit - 1);
		return -1;
	}
	memcpy(out, path, strlen(path) + 1);
	return 0;
}
