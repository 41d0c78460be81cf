#!/usr/bin/env bash
# Writes the turnserver.conf coturn runs with in the compose deployment
# (docker-compose.yml): the mounted turnserver.conf, then the deployment's
# values from the environment (the database, ports, relay range, addresses
# and certificate), which win, as coturn keeps the last value of an option.
# The turn entrypoint runs coturn with this file. The icegate entrypoint
# writes its own copy from the same environment for the daemon's
# turnserver_conf check and `icegatectl doctor`, so they look at the
# database and certificate coturn really uses, not the mounted file's.
#   turnserver-conf.sh OUTPUT
#
# Environment (default):
#   ICEGATE_TURNSERVER_CONFIG  the mounted file (/etc/icegate/turnserver.conf)
#   ICEGATE_STATE_DIR          the database volume (/var/lib/icegate)
#   ICEGATE_CERT, ICEGATE_PKEY certificate chain and key for turns:; both empty:
#                              the icegate service's self-signed one in STATE_DIR/tls
#   ICEGATE_TURN_PORT          turn: over UDP and TCP (3478)
#   ICEGATE_TURNS_PORT         turns: over TLS (5349)
#   ICEGATE_TURN_MIN_PORT, ICEGATE_TURN_MAX_PORT
#                              UDP relay port range (the mounted file's)
#   ICEGATE_LISTEN_IP          address to listen on; empty: every address
#   ICEGATE_TURN_RELAY_IP      address relays use; empty: coturn picks the host's
#   ICEGATE_TURN_EXTERNAL_IP   public address behind 1:1 NAT, PUBLIC or PUBLIC/PRIVATE
set -euo pipefail

fail() {
	echo "turnserver-conf: $*" >&2
	exit 1
}

[ "$#" -eq 1 ] || fail "usage: turnserver-conf.sh OUTPUT"
output=$1
config=${ICEGATE_TURNSERVER_CONFIG:-/etc/icegate/turnserver.conf}
state_dir=${ICEGATE_STATE_DIR:-/var/lib/icegate}
cert=${ICEGATE_CERT:-}
pkey=${ICEGATE_PKEY:-}
turn_port=${ICEGATE_TURN_PORT:-3478}
turns_port=${ICEGATE_TURNS_PORT:-5349}
min_port=${ICEGATE_TURN_MIN_PORT:-}
max_port=${ICEGATE_TURN_MAX_PORT:-}
listen_ip=${ICEGATE_LISTEN_IP:-}
relay_ip=${ICEGATE_TURN_RELAY_IP:-}
external_ip=${ICEGATE_TURN_EXTERNAL_IP:-}

[ -r "$config" ] || fail "cannot read $config (ICEGATE_TURNSERVER_CONFIG)"
if [ -z "$cert" ] && [ -z "$pkey" ]; then
	cert=$state_dir/tls/fullchain.pem
	pkey=$state_dir/tls/privkey.pem
elif [ -z "$cert" ] || [ -z "$pkey" ]; then
	fail "set both ICEGATE_CERT and ICEGATE_PKEY (TLS_CERT and TLS_KEY in .env), or neither"
fi

port_number() {
	local name=$1 value=$2
	if ! [[ $value =~ ^[0-9]{1,5}$ ]] || [ "$value" -lt 1 ] || [ "$value" -gt 65535 ]; then
		fail "$name must be a port number in 1..65535, not '$value'"
	fi
}
port_number ICEGATE_TURN_PORT "$turn_port"
port_number ICEGATE_TURNS_PORT "$turns_port"
if [ -n "$min_port$max_port" ]; then
	port_number ICEGATE_TURN_MIN_PORT "$min_port"
	port_number ICEGATE_TURN_MAX_PORT "$max_port"
	[ "$min_port" -le "$max_port" ] ||
		fail "the relay range $min_port-$max_port is empty (ICEGATE_TURN_MIN_PORT > ICEGATE_TURN_MAX_PORT)"
fi

# One "key=value" line; a line break would smuggle in another option.
option() {
	local key=$1 value=$2
	case $value in
	*$'\n'* | *$'\r'*) fail "the value of $key must not contain a line break" ;;
	esac
	printf '%s=%s\n' "$key" "$value"
}

umask 077
{
	echo "# Written by turnserver-conf.sh at every start: $config, then the"
	echo "# deployment's values from the environment (.env), which win. Edit those."
	echo
	cat "$config"
	echo
	echo "# --- Deployment values from the environment ---------------------------------"
	option userdb "$state_dir/icegate.db"
	option listening-port "$turn_port"
	option tls-listening-port "$turns_port"
	option cert "$cert"
	option pkey "$pkey"
	if [ -n "$min_port" ]; then
		option min-port "$min_port"
		option max-port "$max_port"
	fi
	if [ -n "$listen_ip" ]; then option listening-ip "$listen_ip"; fi
	if [ -n "$relay_ip" ]; then option relay-ip "$relay_ip"; fi
	if [ -n "$external_ip" ]; then option external-ip "$external_ip"; fi
} >"$output.new"
mv -f "$output.new" "$output"
