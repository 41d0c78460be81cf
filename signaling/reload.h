/*
 * reload.h: what SIGHUP does. The configuration is rebuilt from its sources
 * the way it was at start (defaults, the -c file, then the flags), the TLS
 * certificate is read again, and what may change while connections are open
 * is applied without dropping any.
 *
 * Restart-only options (the listeners, the database, the signing secret and
 * what tokens and TURN credentials are bound to, the worker pool, turning
 * HTTPS on or off) keep their running value and are logged as "X changed:
 * restart icegate to apply". Everything else takes effect at once; the limits
 * a connection copies when it opens (message rate and burst, message size,
 * ping interval, auth timeout) apply to connections opened after the reload.
 * A file that does not parse, or a result that breaks a rule between options,
 * keeps the whole running configuration. A certificate that does not load
 * keeps the one being served. Every outcome is one log line naming the
 * options that changed, never their values.
 */
#ifndef ICEGATE_SIGNALING_RELOAD_H
#define ICEGATE_SIGNALING_RELOAD_H

struct config;
struct server;

/* Rebuilds and applies the configuration and certificate (see above). */
void reload_configuration(struct server *server);

/* Checks cfg->turnserver_conf against cfg, when set, and logs each problem on
 * its own line: a mismatch breaks TURN, not signaling, so it is reported and
 * the daemon goes on. Done at start and on every reload. */
void reload_check_turnserver(const struct config *cfg);

#endif
