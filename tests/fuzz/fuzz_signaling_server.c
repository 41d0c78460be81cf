/*
 * fuzz_signaling_server.c: the whole daemon behind its socket. Two clients
 * talk to a real server (server_init: event loop, routes, sessions, rooms,
 * store, workers) over socket pairs handed to conn_accept, so everything a
 * peer on the internet reaches is fuzzed together: HTTP parsing, every REST
 * route with its JSON and query parameters, the WebSocket upgrade (Origin,
 * token in header or query), framing, and each signaling message with its
 * effect on rooms and on the other peer.
 *
 * The server is built once per process, with a fixed JWT secret (the one
 * fuzz_auth_token signs with, so seed tokens stay valid until 2100), guest
 * access on, and the users alice (sender, receiver), bob (receiver) and a
 * disabled mallory. An input is a list of records, each one a piece of
 * bytes for client A or B: a control byte (bit 0 which client, bit 1 close
 * that client after the piece), a 16-bit length and the bytes. Before a piece
 * is sent, "PEER_A_ID_______" and "PEER_B_ID_______" in it become the peer
 * ids the server gave A and B, so relayed messages can reach the other peer.
 * After each piece the loop runs until nothing moves; at the end both
 * clients hang up.
 *
 * Checked: the daemon ends every input with no connection, session, room or
 * per-address count left over; leaks are caught per input; and
 * (support/fuzz_signaling_output.c) everything it sent parses as HTTP/1.1
 * responses with a documented status and a body of the announced length,
 * JSON where it says so (an error object for 4xx and 5xx); after a 101,
 * unmasked WebSocket frames with no reserved bits, text frames that are JSON
 * objects of a documented type, error codes from the protocol, "from" on
 * relayed messages set to a peer id the server assigned to a peer that the
 * receiver was told is in its room, never the receiver's own, and nothing
 * after a close frame.
 *
 * Replaying one input with ICEGATE_FUZZ_TRACE=1 prints what each client
 * received.
 */
#include "auth/password.h"
#include "auth/secret.h"
#include "common/log.h"
#include "config/config.h"
#include "db/store.h"
#include "signaling/conn.h"
#include "signaling/server.h"
#include "signaling/session.h"
#include "signaling/workers.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_input.h"
#include "tests/fuzz/support/fuzz_signaling_output.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECRET       "fuzzing-secret-0123456789abcdefghij"
#define CLIENTS      2
#define QUIET_ROUNDS 3         /* loop rounds without news before a piece counts as done */
#define MAX_ROUNDS   200       /* a loop that never settles is a finding */
#define OUTPUT_MAX   (4 << 20) /* per client; a flood past this is a finding */

static const char *const placeholders[CLIENTS] = {"PEER_A_ID_______", "PEER_B_ID_______"};

/* The daemon, built once: starting a server costs far more than a run. */
struct daemon {
	char directory[256]; /* scratch directory holding the database */
	char db_path[300];
	struct config cfg;
	struct store *store;  /* owned */
	struct server server; /* owned */
};

struct client {
	int fd;                    /* our end of the socket pair; -1 once closed */
	int server_fd;             /* the daemon's end, to find its connection */
	struct evbuffer *received; /* owned: every byte the daemon sent */
	int hung_up;               /* the daemon closed its end */
};

static struct daemon the_daemon;

static void remove_scratch(void)
{
	server_free(&the_daemon.server);
	store_close(the_daemon.store);
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char path[400];
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", the_daemon.db_path, suffixes[i]);
		unlink(path);
	}
	rmdir(the_daemon.directory);
}

static void set_option(struct config *cfg, const char *key, const char *value)
{
	char err[256];
	if (config_set(cfg, key, value, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
}

static void add_user(struct store *store, const char *name, const char *roles)
{
	char hash[PASSWORD_HASH_MAX];
	FUZZ_CHECK(password_hash("correct horse battery staple", hash, sizeof(hash)) == 0);
	FUZZ_CHECK(store_user_add(store, name, hash, roles) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct daemon *d = &the_daemon;
	signal(SIGPIPE, SIG_IGN);
	log_setup(LOG_LEVEL_ERROR);
	const char *tmp = getenv("TMPDIR");
	snprintf(d->directory, sizeof(d->directory), "%s/icegate-fuzz-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(d->directory) != NULL);
	snprintf(d->db_path, sizeof(d->db_path), "%s/icegate.db", d->directory);

	config_defaults(&d->cfg);
	set_option(&d->cfg, "listen_host", "127.0.0.1");
	set_option(&d->cfg, "db_path", d->db_path);
	set_option(&d->cfg, "web_root", d->directory);
	set_option(&d->cfg, "jwt_secret", SECRET);
	set_option(&d->cfg, "guest_access", "on");
	set_option(&d->cfg, "control_socket", "off");
	set_option(&d->cfg, "worker_threads", "1");
	/* Failed logins from one address would otherwise make runs depend on
	 * the ones before. */
	set_option(&d->cfg, "login_attempts_per_minute", "10000");
	d->cfg.port = 0; /* any free port: the listener is never used */

	char err[512];
	d->store = store_open(d->db_path, err, sizeof(err));
	if (!d->store) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	struct token_keyring ring;
	int generated = 0;
	FUZZ_CHECK(secret_load_keyring(&d->cfg, d->store, &ring, &generated, err, sizeof(err)) ==
	           0);
	add_user(d->store, "alice", "sender,receiver");
	add_user(d->store, "bob", "receiver");
	add_user(d->store, "mallory", "sender");
	FUZZ_CHECK(store_user_set_disabled(d->store, "mallory", 1) == 0);
	if (server_init(&d->server, &d->cfg, d->store, &ring, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	atexit(remove_scratch);
	return 0;
}

static void client_open(struct daemon *d, struct client *c)
{
	int fds[2];
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
	FUZZ_CHECK(evutil_make_socket_nonblocking(fds[0]) == 0);
	FUZZ_CHECK(evutil_make_socket_nonblocking(fds[1]) == 0);
	c->fd = fds[0];
	c->server_fd = fds[1];
	c->received = evbuffer_new();
	c->hung_up = 0;
	FUZZ_CHECK(c->received != NULL);
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(40000)};
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conn_accept(&d->server, fds[1], (const struct sockaddr *)&address, CONN_LISTENER_SIGNALING);
}

/* Reads what the daemon sent to every client; returns the bytes read. */
static size_t collect(struct client *clients)
{
	size_t total = 0;
	for (int i = 0; i < CLIENTS; i++) {
		struct client *c = &clients[i];
		while (c->fd >= 0 && !c->hung_up) {
			char buffer[16384];
			ssize_t n = read(c->fd, buffer, sizeof(buffer));
			if (n > 0) {
				evbuffer_add(c->received, buffer, (size_t)n);
				total += (size_t)n;
				FUZZ_CHECK(evbuffer_get_length(c->received) <= OUTPUT_MAX);
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				c->hung_up = 1;
			break;
		}
	}
	return total;
}

/* Runs the loop until it has been quiet for a few rounds and no password
 * check is pending on the worker. */
static void settle(struct daemon *d, struct client *clients)
{
	int quiet = 0;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		int pending = workers_pending(d->server.workers);
		event_base_loop(d->server.base, pending ? EVLOOP_ONCE : EVLOOP_NONBLOCK);
		quiet = collect(clients) == 0 && !pending ? quiet + 1 : 0;
		if (quiet >= QUIET_ROUNDS)
			return;
	}
	FUZZ_CHECK(!"the event loop never settled");
}

/* The daemon's connection on server_fd, or NULL once it is gone. */
static struct conn *find_conn(struct daemon *d, int server_fd)
{
	for (struct conn *conn = d->server.connections; conn; conn = conn->next)
		if (conn->bev && bufferevent_getfd(conn->bev) == server_fd)
			return conn;
	return NULL;
}

/* Writes piece to client index, with peer id placeholders filled in. */
static void send_piece(struct daemon *d, struct client *clients, int index, const uint8_t *piece,
                       size_t length)
{
	struct client *c = &clients[index];
	if (c->fd < 0 || length == 0)
		return;
	uint8_t *bytes = malloc(length);
	FUZZ_CHECK(bytes != NULL);
	memcpy(bytes, piece, length);
	for (int peer = 0; peer < CLIENTS; peer++) {
		struct conn *conn = find_conn(d, clients[peer].server_fd);
		if (!conn || !conn->session)
			continue;
		for (size_t i = 0; i + FUZZ_PEER_ID_LENGTH <= length; i++)
			if (memcmp(bytes + i, placeholders[peer], FUZZ_PEER_ID_LENGTH) == 0)
				memcpy(bytes + i, conn->session->id, FUZZ_PEER_ID_LENGTH);
	}
	size_t sent = 0;
	int stalled = 0;
	while (sent < length && stalled < MAX_ROUNDS) {
		ssize_t n = write(c->fd, bytes + sent, length - sent);
		if (n > 0) {
			sent += (size_t)n;
			stalled = 0;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			break; /* the daemon hung up: the rest is moot */
		} else {
			stalled++;
		}
		settle(d, clients);
	}
	free(bytes);
}

/* Nothing of this input may outlive it. */
static void check_nothing_left(struct daemon *d)
{
	FUZZ_CHECK(d->server.connections == NULL && d->server.connection_count == 0);
	FUZZ_CHECK(d->server.sessions_by_id.count == 0);
	FUZZ_CHECK(d->server.rooms.by_name.count == 0);
	FUZZ_CHECK(d->server.connections_by_address.count == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon *d = &the_daemon;
	struct client clients[CLIENTS];
	for (int i = 0; i < CLIENTS; i++)
		client_open(d, &clients[i]);
	settle(d, clients);

	struct fuzz_input in = {data, size};
	while (in.size > 0) {
		uint8_t control = fuzz_take_byte(&in);
		size_t wanted = fuzz_take_u16(&in);
		const uint8_t *piece;
		size_t length = fuzz_take_bytes(&in, wanted, &piece);
		int index = control & 1;
		send_piece(d, clients, index, piece, length);
		if ((control & 2) && clients[index].fd >= 0) {
			close(clients[index].fd);
			clients[index].fd = -1;
			settle(d, clients);
		}
	}
	for (int i = 0; i < CLIENTS; i++) {
		if (clients[i].fd >= 0) {
			collect(clients);
			close(clients[i].fd);
			clients[i].fd = -1;
		}
	}
	settle(d, clients);
	check_nothing_left(d);

	/* Every byte each client received, against the protocol. */
	struct fuzz_peer_ids announced = {.count = 0};
	struct fuzz_client_view views[CLIENTS];
	memset(views, 0, sizeof(views));
	const uint8_t *received[CLIENTS];
	size_t lengths[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		lengths[i] = evbuffer_get_length(clients[i].received);
		received[i] = lengths[i] ? evbuffer_pullup(clients[i].received, -1) : NULL;
		fuzz_output_note_ids(received[i], lengths[i], &views[i]);
		for (size_t k = 0; k < views[i].own.count; k++)
			fuzz_peer_ids_add(&announced, views[i].own.ids[k]);
	}
	for (int i = 0; i < CLIENTS; i++) {
		if (getenv("ICEGATE_FUZZ_TRACE"))
			fuzz_output_trace(i == 0 ? "client A" : "client B", received[i],
			                  lengths[i]);
		fuzz_output_check(received[i], lengths[i], &announced, &views[i]);
		evbuffer_free(clients[i].received);
	}
	return 0;
}
