/*
 * handshake.h: the client half of the WebSocket opening handshake (RFC 6455
 * section 4.1), kept apart from the socket code so it can be tested alone.
 *
 * The generator must notice a server that answers with anything but a proper
 * 101 (a 429 from the per-address limit, a 401, a proxy page), because a
 * benchmark that silently counts refused connections reports nonsense.
 */
#ifndef ICEGATE_BENCH_HANDSHAKE_H
#define ICEGATE_BENCH_HANDSHAKE_H

#include <stddef.h>

#define BENCH_HANDSHAKE_KEY_SIZE    25   /* 24 Base64 characters + NUL */
#define BENCH_HANDSHAKE_ACCEPT_SIZE 29   /* 28 Base64 characters + NUL */
#define BENCH_HANDSHAKE_HEAD_MAX    8192 /* longest response head accepted */

/* A fresh Sec-WebSocket-Key: 16 random bytes in Base64. Returns 0 or -1. */
int bench_handshake_key(char key[BENCH_HANDSHAKE_KEY_SIZE]);

/* The Sec-WebSocket-Accept value a server must send for key. Returns 0 or -1. */
int bench_handshake_accept(const char *key, char accept[BENCH_HANDSHAKE_ACCEPT_SIZE]);

/* Writes the upgrade request for host ("127.0.0.1:8080") and path ("/ws?...")
 * into out. Returns its length, or -1 if it does not fit. */
int bench_handshake_request(char *out, size_t size, const char *host, const char *path,
                            const char *key);

/*
 * Checks a response head (status line and headers, up to and including the
 * blank line) against key: status 101, "Upgrade: websocket", a Connection
 * header containing "upgrade" and the right Sec-WebSocket-Accept. Header names
 * and the Upgrade/Connection values are case-insensitive. Fills *status with
 * the HTTP status (0 if the status line is malformed). Returns 0, or -1 with
 * err filled.
 */
int bench_handshake_check(const char *head, size_t length, const char *key, int *status, char *err,
                          size_t err_size);

#endif
