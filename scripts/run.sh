#!/usr/bin/env bash
# Installs what is missing, builds, and starts icegate on this machine: the
# signaling daemon with the shipped configuration (etc/signaling.conf) and the
# embedded SQLite database under var/, and the patched coturn with
# etc/turnserver.conf reading its secrets from that same database. On first
# start it creates a "demo" user with a random password and prints it; later
# starts reuse the database (users, secret). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh build

mkdir -p var
chmod 700 var
db=var/icegate.db
port=${ICEGATE_PORT:-8080}

if ! build/icegatectl -c etc/signaling.conf --db "$db" user list 2>/dev/null | grep -q '^demo '; then
	password=$(openssl rand -base64 18)
	printf '%s' "$password" |
		build/icegatectl -c etc/signaling.conf --db "$db" user add demo --role sender,receiver --password-stdin
	printf '%s\n' "$password" >var/demo-password
	chmod 600 var/demo-password
fi

cat <<INFO

icegate is starting on port $port.
  Sender page:    http://localhost:$port/sender
  Receiver page:  http://localhost:$port/receiver
  Log in as:      demo / $(cat var/demo-password)   (password also in var/demo-password)
  Add users:      build/icegatectl -c etc/signaling.conf --db $db user add NAME --password-stdin
  TURN:           turn:localhost:3478 (patched coturn; credentials come in signaling messages)
Open the sender page first and share a screen, then open the receiver page.
Stop with Ctrl-C.

INFO
build/icegate -c etc/signaling.conf --db "$db" -p ":$port" &
daemon=$!
turn=
stop() {
	trap - INT TERM EXIT
	[ -n "$turn" ] && kill -TERM "$turn" 2>/dev/null
	kill -TERM "$daemon" 2>/dev/null
	wait
}
trap stop INT TERM EXIT

# coturn reads turn_secret, which the daemon writes as it starts.
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	kill -0 "$daemon" 2>/dev/null || exit 1
	sleep 0.1
done
build/turn/bin/turnserver -c etc/turnserver.conf --userdb "$PWD/$db" --log-file stdout \
	--pidfile "$PWD/var/turnserver.pid" &
turn=$!
wait "$daemon"
