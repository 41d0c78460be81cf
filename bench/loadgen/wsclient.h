/*
 * wsclient.h: one WebSocket client connection for the load generator, on a
 * libevent bufferevent with wslay's client-side framing.
 *
 * A connection binds to a chosen loopback source address before connecting,
 * so that tens of thousands of connections do not exhaust the ephemeral ports
 * of a single address pair. Outgoing frames are masked, as RFC 6455 requires
 * of clients, with keys from a per-connection xorshift generator seeded from
 * OpenSSL: the masks only have to be unpredictable to intermediaries, and
 * drawing four bytes from RAND_bytes per frame would cost more than the frame.
 */
#ifndef ICEGATE_BENCH_WSCLIENT_H
#define ICEGATE_BENCH_WSCLIENT_H

#include <netinet/in.h>
#include <stddef.h>

struct event_base;
struct bench_ws;

struct bench_ws_callbacks {
	/* The server accepted the upgrade. */
	void (*on_open)(void *arg);
	/* A complete text message (not NUL-terminated). The callback may send,
	 * and may call bench_ws_close, but must not free the connection. */
	void (*on_text)(void *arg, const char *data, size_t length);
	/* The connection is over: closed by either side, refused or broken.
	 * close_code is the WebSocket close code received (0 if none);
	 * reason says what happened. Called at most once, possibly from inside
	 * bench_ws_send_text or bench_ws_close; the callback must not free the
	 * connection (free it later, once control is back in the owner). */
	void (*on_end)(void *arg, int close_code, const char *reason);
};

struct bench_ws_target {
	struct sockaddr_in server; /* must be a loopback address */
	struct sockaddr_in source; /* port 0: bound before connecting */
	const char *host;          /* Host header, "127.0.0.1:8080"; borrowed */
	const char *path;          /* "/ws?access_token=..."; borrowed */
	const char *path_suffix;   /* appended to path ("&id=..."); borrowed; NULL if none */
};

/*
 * Starts connecting. callbacks and arg are borrowed for the connection's life.
 * Returns the connection (owned by the caller, freed with bench_ws_free), or
 * NULL with err filled if the socket could not even be created.
 */
struct bench_ws *bench_ws_connect(struct event_base *base, const struct bench_ws_target *target,
                                  const struct bench_ws_callbacks *callbacks, void *arg, char *err,
                                  size_t err_size);

/* Queues a text message and starts sending it. Returns 0, or -1 if the
 * connection is not open (or is closing). */
int bench_ws_send_text(struct bench_ws *ws, const char *data, size_t length);

/* Starts a normal close (1000); on_end follows once the server answers. */
void bench_ws_close(struct bench_ws *ws);

void bench_ws_free(struct bench_ws *ws);

#endif
