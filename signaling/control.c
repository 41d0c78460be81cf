/*
 * control.c: serving the control socket from the event loop. Each client is
 * a bufferevent reading newline-terminated JSON requests and writing one
 * JSON line per request. Nothing a client does can stall the loop or grow
 * without bound: a request line is at most CONTROL_REQUEST_MAX bytes, the
 * next request is not read until the previous reply has been written, a
 * request and its reply must complete within CONTROL_DEADLINE_SECONDS, and
 * at most CONTROL_CLIENTS_MAX clients are served at once (others get "busy").
 * Clients other than root and the daemon's own user are refused even if the
 * socket's mode was loosened by hand.
 */
#include "signaling/control.h"

#include "common/log.h"
#include "signaling/server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct control_client {
	struct control_client *next, *prev; /* in control->clients */
	struct control *control;            /* borrowed */
	struct bufferevent *bev;            /* owned */
	struct event *deadline;             /* owned: ends a client too slow to ask or read */
	int closing;                        /* the last reply is queued; free once written */
};

struct control {
	struct server *server;           /* borrowed */
	struct evconnlistener *listener; /* owned; NULL once stopped */
	struct control_socket_file file; /* removed at stop */
	struct control_client *clients;  /* owned, newest first */
	size_t client_count;             /* length of clients, <= CONTROL_CLIENTS_MAX */
};

static void client_free(struct control_client *client)
{
	struct control *control = client->control;
	if (client->prev)
		client->prev->next = client->next;
	else
		control->clients = client->next;
	if (client->next)
		client->next->prev = client->prev;
	control->client_count--;
	bufferevent_free(client->bev);
	event_free(client->deadline);
	free(client);
}

static void arm_deadline(struct control_client *client)
{
	struct timeval deadline = {CONTROL_DEADLINE_SECONDS, 0};
	evtimer_add(client->deadline, &deadline);
}

/* Queues reply (stolen) as one line. */
static void send_reply(struct control_client *client, json_t *reply)
{
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	struct evbuffer *output = bufferevent_get_output(client->bev);
	if (!text) {
		evbuffer_add_printf(output,
		                    "{\"error\":\"internal\",\"message\":\"out of memory\"}\n");
		client->closing = 1;
		return;
	}
	evbuffer_add(output, text, strlen(text));
	evbuffer_add(output, "\n", 1);
	free(text);
}

static void answer_line(struct control_client *client, const char *line, size_t length)
{
	struct control_request request;
	const char *error_code;
	char message[256];
	if (control_request_parse(line, length, &request, &error_code, message, sizeof(message)) !=
	    0)
		send_reply(client, control_error_reply(error_code, message));
	else
		send_reply(client, control_execute(client->control->server, &request));
}

/* Answers the next complete request in the input, if the previous reply is
 * out. Returns 1 when one was answered, 0 when there is nothing to do yet. */
static int answer_next(struct control_client *client)
{
	struct evbuffer *input = bufferevent_get_input(client->bev);
	struct evbuffer *output = bufferevent_get_output(client->bev);
	if (client->closing || evbuffer_get_length(output) > 0)
		return 0;
	size_t eol_length = 0;
	struct evbuffer_ptr eol = evbuffer_search_eol(input, NULL, &eol_length, EVBUFFER_EOL_LF);
	if (eol.pos < 0 ? evbuffer_get_length(input) >= CONTROL_REQUEST_MAX
	                : (size_t)eol.pos + 1 > CONTROL_REQUEST_MAX) {
		char message[64];
		snprintf(message, sizeof(message), "a request line is at most %d bytes",
		         CONTROL_REQUEST_MAX);
		send_reply(client, control_error_reply("bad_request", message));
		client->closing = 1;
		bufferevent_disable(client->bev, EV_READ);
		return 1;
	}
	if (eol.pos < 0)
		return 0;
	char line[CONTROL_REQUEST_MAX];
	size_t length = (size_t)eol.pos;
	evbuffer_remove(input, line, length);
	evbuffer_drain(input, eol_length);
	if (length > 0 && line[length - 1] == '\r')
		length--;
	answer_line(client, line, length);
	return 1;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	answer_next(arg);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct control_client *client = arg;
	if (client->closing) {
		client_free(client);
		return;
	}
	/* The reply is out: the next request gets a full deadline. */
	arm_deadline(client);
	answer_next(client);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_client *client = arg;
	/* A client that sent its last request and shut its write side still
	 * gets its reply. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		client->closing = 1;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	client_free(client);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	client_free(arg);
}

/* Says why in one line and closes; for clients we will not serve. */
static void refuse(evutil_socket_t fd, const char *code, const char *message)
{
	char line[256];
	int length =
	    snprintf(line, sizeof(line), "{\"error\":\"%s\",\"message\":\"%s\"}\n", code, message);
	/* The socket's buffer is empty: this either fits at once or is dropped. */
	if (send(fd, line, (size_t)length, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("control: could not tell a refused client why");
	evutil_closesocket(fd);
}

static int peer_allowed(evutil_socket_t fd, uid_t *peer_uid)
{
	struct ucred credentials;
	socklen_t length = sizeof(credentials);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0)
		return 0;
	*peer_uid = credentials.uid;
	return credentials.uid == 0 || credentials.uid == geteuid();
}

static void accept_cb(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *address,
                      int length, void *arg)
{
	struct control *control = arg;
	uid_t peer_uid = (uid_t)-1;
	if (!peer_allowed(fd, &peer_uid)) {
		log_warn("control: refused a client running as uid %ld (only root and uid %ld may "
		         "use the control socket)",
		         (long)peer_uid, (long)geteuid());
		refuse(fd, "forbidden",
		       "only root and the user icegate runs as may use this socket");
		return;
	}
	if (control->client_count >= CONTROL_CLIENTS_MAX) {
		refuse(fd, "busy", "too many control clients at once; try again");
		return;
	}
	struct control_client *client = calloc(1, sizeof(*client));
	struct event_base *base = control->server->base;
	if (client) {
		client->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
		client->deadline = evtimer_new(base, deadline_cb, client);
	}
	if (!client || !client->bev || !client->deadline) {
		if (client && client->bev)
			bufferevent_free(client->bev);
		else
			evutil_closesocket(fd);
		if (client && client->deadline)
			event_free(client->deadline);
		free(client);
		log_warn("control: out of memory accepting a client");
		return;
	}
	client->control = control;
	client->next = control->clients;
	if (control->clients)
		control->clients->prev = client;
	control->clients = client;
	control->client_count++;
	/* Reading stops at a full request line; answer_next refuses longer ones. */
	bufferevent_setwatermark(client->bev, EV_READ, 0, CONTROL_REQUEST_MAX);
	bufferevent_setcb(client->bev, read_cb, write_cb, event_cb, client);
	bufferevent_enable(client->bev, EV_READ);
	arm_deadline(client);
}

static void accept_error_cb(struct evconnlistener *listener, void *arg)
{
	log_warn("control: accept failed: %s",
	         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

int control_start(struct server *server, char *err, size_t err_size)
{
	char path[CONFIG_PATH_MAX];
	int off = config_control_socket_path(server->cfg, path, sizeof(path), err, err_size);
	if (off != 0)
		return off < 0 ? -1 : 0;
	struct control *control = calloc(1, sizeof(*control));
	if (!control) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	control->server = server;
	int fd = control_socket_open(path, &control->file, err, err_size);
	if (fd < 0) {
		free(control);
		return -1;
	}
	control->listener = evconnlistener_new(
	    server->base, accept_cb, control, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!control->listener) {
		snprintf(err, err_size, "cannot serve the control socket %s", path);
		control_socket_remove(&control->file);
		close(fd);
		free(control);
		return -1;
	}
	evconnlistener_set_error_cb(control->listener, accept_error_cb);
	server->control = control;
	log_info("control socket at %s", path);
	return 0;
}

void control_stop(struct control *control)
{
	if (!control || !control->listener)
		return;
	evconnlistener_free(control->listener);
	control->listener = NULL;
	control_socket_remove(&control->file);
}

void control_free(struct control *control)
{
	if (!control)
		return;
	control_stop(control);
	while (control->clients)
		client_free(control->clients);
	free(control);
}
