#!/usr/bin/env bash
# Health check of the icegate container (docker-compose.yml): GET /healthz on
# the signaling port, over HTTPS unless ICEGATE_TLS is off. The certificate is
# not verified: this checks that the process answers, and the name on a real
# certificate is the domain, not the loopback address asked here. Same
# environment as icegate-entrypoint.sh.
set -euo pipefail

port=${ICEGATE_PORT:-8443}
host=${ICEGATE_LISTEN_IP:-127.0.0.1}
case $host in
0.0.0.0 | ::) host=127.0.0.1 ;;
esac
[[ $host == *:* ]] && host="[$host]"
scheme=https
case ${ICEGATE_TLS:-on} in
off | no | false | 0) scheme=http ;;
esac
exec curl --fail --silent --show-error --max-time 4 --insecure --output /dev/null \
	"$scheme://$host:$port/healthz"
