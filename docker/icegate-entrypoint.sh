#!/usr/bin/env bash
# Starts icegate's signaling daemon in its container (docker-compose.yml,
# service "icegate"). Every path comes from an environment variable whose
# default is the container's layout, so tests/deploy runs this very script on
# a host with temporary directories in their place.
#
# Each start writes the daemon's effective configuration, RUN_DIR/signaling.conf:
# the mounted signaling.conf followed by the per-deployment values of the
# environment (.env), which win. icegatectl reads the same file. Beside it,
# turnserver-conf.sh writes coturn's configuration as the turn service runs
# it (same environment), for the daemon's turnserver_conf check and
# icegatectl doctor to compare with. A first start also creates what is
# missing: a self-signed certificate for the domain when none is mounted (key
# mode 0600), and the database, where the daemon generates and keeps the JWT
# secret unless one is given. While the database has no user, it prints how
# to create the first one. A restart regenerates nothing: the certificate,
# key, database and secret are kept.
#
# Environment (default):
#   ICEGATE_CONFIG             signaling.conf to start from (/etc/icegate/signaling.conf)
#   ICEGATE_TURNSERVER_CONFIG  coturn's mounted configuration (/etc/icegate/turnserver.conf)
#   ICEGATE_STATE_DIR          the database volume (/var/lib/icegate)
#   ICEGATE_RUN_DIR            the effective configurations (/run/icegate)
#   ICEGATE_WEB_ROOT           demo pages and JavaScript client (/usr/share/icegate/web)
#   ICEGATE_DOMAIN             public host name (localhost)
#   ICEGATE_LISTEN_IP          address to listen on; empty: every address
#   ICEGATE_PORT               HTTPS and WSS port (8443)
#   ICEGATE_TLS                on: HTTPS/WSS; off: plain HTTP behind a TLS proxy (on)
#   ICEGATE_CERT, ICEGATE_PKEY a mounted certificate chain and key (Let's Encrypt's
#                              fullchain.pem and privkey.pem); both empty: a self-signed
#                              one, STATE_DIR/tls/fullchain.pem and privkey.pem, made on
#                              first start
#   ICEGATE_JWT_SECRET         signing secret; empty: generated, kept in the database
#   ICEGATE_METRICS_LISTEN     where /metrics, /healthz and /readyz are served apart
#                              from the public port (127.0.0.1:9090); empty: on the
#                              public port
#   ICEGATE_TURN_PORT, ICEGATE_TURNS_PORT
#                              coturn's ports, for the turn: and turns: URLs (3478, 5349)
#   and the other variables of turnserver-conf.sh
# Arguments are passed on to icegate (for example --set log_format=json).
set -euo pipefail

config=${ICEGATE_CONFIG:-/etc/icegate/signaling.conf}
state_dir=${ICEGATE_STATE_DIR:-/var/lib/icegate}
run_dir=${ICEGATE_RUN_DIR:-/run/icegate}
web_root=${ICEGATE_WEB_ROOT:-/usr/share/icegate/web}
domain=${ICEGATE_DOMAIN:-localhost}
listen_ip=${ICEGATE_LISTEN_IP:-}
port=${ICEGATE_PORT:-8443}
tls=${ICEGATE_TLS:-on}
cert=${ICEGATE_CERT:-}
pkey=${ICEGATE_PKEY:-}
jwt_secret=${ICEGATE_JWT_SECRET:-}
metrics_listen=${ICEGATE_METRICS_LISTEN-127.0.0.1:9090}
turn_port=${ICEGATE_TURN_PORT:-3478}
turns_port=${ICEGATE_TURNS_PORT:-5349}

db=$state_dir/icegate.db
runtime_config=$run_dir/signaling.conf
turnserver_view=$run_dir/turnserver.conf

# Nothing this script creates is for other users: the database and the key
# stay private to the service's user (the turn container runs as the same one).
umask 077

fail() {
	echo "icegate-entrypoint: $*" >&2
	exit 1
}

case $tls in
on | yes | true | 1) tls=on ;;
off | no | false | 0) tls=off ;;
*) fail "ICEGATE_TLS must be on or off, not '$tls'" ;;
esac
[ -r "$config" ] || fail "cannot read $config (ICEGATE_CONFIG)"
[ -d "$state_dir" ] || fail "$state_dir (ICEGATE_STATE_DIR) is not a directory"
mkdir -p "$run_dir"
if [ -n "$cert" ] && [ -n "$pkey" ]; then
	mounted_certificate=1
elif [ -z "$cert" ] && [ -z "$pkey" ]; then
	mounted_certificate=0
	cert=$state_dir/tls/fullchain.pem
	pkey=$state_dir/tls/privkey.pem
else
	fail "set both ICEGATE_CERT and ICEGATE_PKEY (TLS_CERT and TLS_KEY in .env), or neither for a self-signed certificate"
fi

# The certificate coturn serves for turns: and the daemon for HTTPS: the one
# mounted, or a self-signed one for the domain, made on first start and kept.
self_signed_san() {
	if [[ $domain =~ ^[0-9.]+$ || $domain == *:* ]]; then
		echo "IP:$domain"
	else
		echo "DNS:$domain"
	fi
}
ensure_certificate() {
	local file
	if [ "$mounted_certificate" = 1 ]; then
		for file in "$cert" "$pkey"; do
			[ -e "$file" ] || fail "$file does not exist: mount it (TLS_CERT, TLS_KEY and LETSENCRYPT_DIR in .env), or leave TLS_CERT and TLS_KEY empty for a self-signed certificate"
			[ -r "$file" ] || fail "cannot read $file: make it readable by uid $(id -u) (README, Let's Encrypt)"
		done
		return
	fi
	if [ -e "$cert" ] && [ -e "$pkey" ]; then
		return
	fi
	[ -e "$cert" ] && fail "the certificate $cert exists but its key $pkey does not: delete it to have both made again"
	[ -e "$pkey" ] && fail "the key $pkey exists but its certificate $cert does not: delete it to have both made again"
	mkdir -p "$(dirname "$cert")"
	# Written beside the targets and renamed, key first: the turn container
	# starts once both exist, and must never see half a file.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
		-subj "/CN=$domain" -addext "subjectAltName=$(self_signed_san)" \
		-keyout "$pkey.new" -out "$cert.new" 2>/dev/null ||
		fail "openssl could not create a self-signed certificate for $domain"
	chmod 600 "$pkey.new"
	chmod 644 "$cert.new"
	mv -f "$pkey.new" "$pkey"
	mv -f "$cert.new" "$cert"
	echo "icegate-entrypoint: generated a self-signed certificate for $domain: $cert (key $pkey)"
	echo "icegate-entrypoint:   $(openssl x509 -noout -fingerprint -sha256 -in "$cert")"
	echo "icegate-entrypoint:   for development only: browsers warn about it; mount a real one for production (README)"
}

# One "key = value" line for the effective configuration. Values are quoted,
# so they cannot carry a double quote or a line break into it.
setting() {
	local key=$1 value=$2
	case $value in
	*'"'* | *$'\n'* | *$'\r'*) fail "the value of $key must not contain a double quote or a line break" ;;
	esac
	printf '%s = "%s"\n' "$key" "$value"
}

write_runtime_config() {
	local file=$runtime_config.new
	{
		echo "# Written by icegate-entrypoint.sh at every start: $config, then the"
		echo "# deployment's values from the environment (.env), which win. Edit those."
		echo
		cat "$config"
		echo
		echo "## Deployment values from the environment"
		setting db_path "$db"
		setting web_root "$web_root"
		setting domain "$domain"
		setting listen_host "$listen_ip"
		setting port "$port"
		setting metrics_listen "$metrics_listen"
		setting turn_port "$turn_port"
		setting turns_port "$turns_port"
		setting turn_tls on
		setting turnserver_conf "$turnserver_view"
		if [ "$tls" = on ]; then
			setting cert "$cert"
			setting pkey "$pkey"
		else
			setting cert ""
			setting pkey ""
		fi
		if [ -n "$jwt_secret" ]; then
			setting jwt_secret "$jwt_secret"
		fi
	} >"$file"
	mv -f "$file" "$runtime_config"
}

admin_hint() {
	cat <<-HINT
		icegate-entrypoint: no user yet. Create the first one (roles sender and receiver) with
		icegate-entrypoint:   docker compose exec icegate icegatectl -c $runtime_config user add NAME
		icegate-entrypoint: which asks for the password, or with the password on standard input:
		icegate-entrypoint:   printf '%s' "\$PASSWORD" | docker compose exec -T icegate icegatectl -c $runtime_config user add NAME --password-stdin
	HINT
}

# The configurations first: they refuse a bad value before anything is created.
write_runtime_config
turnserver-conf.sh "$turnserver_view"
ensure_certificate
if [ ! -e "$db" ]; then
	echo "icegate-entrypoint: first start: icegate creates the database $db and its JWT secret"
	admin_hint
elif [ "$(icegatectl -c "$runtime_config" user list --json)" = "[]" ]; then
	admin_hint
fi
exec icegate -c "$runtime_config" "$@"
