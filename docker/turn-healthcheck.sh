#!/usr/bin/env bash
# Health check of the turn container (docker-compose.yml): a STUN Binding
# request to coturn's UDP port must be answered. Same environment as
# turn-entrypoint.sh.
set -euo pipefail

port=${ICEGATE_TURN_PORT:-3478}
host=${ICEGATE_LISTEN_IP:-127.0.0.1}
case $host in
0.0.0.0 | ::) host=127.0.0.1 ;;
esac
# It retries without end when nobody answers: bound it.
exec timeout 4 turnutils_stunclient -p "$port" "$host"
