#!/usr/bin/env bash
# Starts icegate's patched coturn in its container (docker-compose.yml,
# service "turn"). Every path comes from an environment variable whose default
# is the container's layout, so tests/deploy runs this very script on a host
# with temporary directories in their place.
#
# It writes coturn's configuration, RUN_DIR/turnserver.conf, with
# turnserver-conf.sh: the mounted turnserver.conf followed by the deployment's
# values (database, ports, relay range, addresses, certificate). coturn reads
# its TURN secrets and revocations from the database the icegate service
# creates in the shared volume, and serves turns: with the certificate that
# service finds or generates. So it waits for both files to exist (at most
# ICEGATE_TURN_WAIT_SECONDS, then it exits for the restart policy to try
# again), then runs turnserver.
#
# Environment (default): those of turnserver-conf.sh, and
#   ICEGATE_TURN_RUN_DIR       the configuration and pid file (/run/icegate-turn)
#   ICEGATE_TURN_WAIT_SECONDS  how long to wait for the database and certificate (120)
# Arguments are passed on to turnserver.
set -euo pipefail

run_dir=${ICEGATE_TURN_RUN_DIR:-/run/icegate-turn}
wait_seconds=${ICEGATE_TURN_WAIT_SECONDS:-120}
config=$run_dir/turnserver.conf

fail() {
	echo "turn-entrypoint: $*" >&2
	exit 1
}

[[ $wait_seconds =~ ^[0-9]+$ ]] || fail "ICEGATE_TURN_WAIT_SECONDS must be a number of seconds"
mkdir -p "$run_dir"
turnserver-conf.sh "$config"

# The files the deployment's lines name (the last value of each option wins).
named() {
	sed -n "s/^$1=//p" "$config" | tail -n 1
}
db=$(named userdb)
cert=$(named cert)
pkey=$(named pkey)

ready() {
	[ -s "$db" ] && [ -s "$cert" ] && [ -s "$pkey" ]
}
if ! ready; then
	echo "turn-entrypoint: waiting for the icegate service to create $db and the certificate $cert"
	deadline=$((SECONDS + wait_seconds))
	until ready; do
		[ "$SECONDS" -lt "$deadline" ] ||
			fail "$db or $cert still missing after ${wait_seconds} s: is the icegate service running on the same volume?"
		sleep 0.2
	done
fi
[ -r "$pkey" ] || fail "cannot read the key $pkey: make it readable by uid $(id -u) (README, Let's Encrypt)"

exec turnserver -c "$config" --pidfile "$run_dir/turnserver.pid" "$@"
