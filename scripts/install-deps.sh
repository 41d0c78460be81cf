#!/usr/bin/env bash
# Installs what icegate needs on Debian 12, from Debian's packages only.
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   plus what the tests need (cmocka, chromium,
#                                    node and the test packages from npm)
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (it calls apt-get)" >&2
	exit 1
fi

packages=(build-essential cmake pkg-config ca-certificates
	libevent-dev libjansson-dev libjwt-dev libsqlite3-dev libssl-dev
	libargon2-dev libwslay-dev sqlite3 openssl
	patch debian-archive-keyring)
if [ "$with_tests" = 1 ]; then
	# coturn: Debian's stock build, compared with the patched one in tests.
	packages+=(libcmocka-dev clang-format chromium fonts-dejavu-core procps iproute2 coturn
		e2fsprogs util-linux)
	# The deployment tests: docker-compose validates docker-compose.yml, curl
	# runs the containers' health check, systemd-analyze verifies the units.
	packages+=(docker-compose curl systemd)
	# The fuzz targets: clang's libFuzzer and its sanitizer runtimes.
	packages+=(clang libclang-rt-14-dev)
	# The credential-minting benchmark (bench/mint.sh) drives the daemon with wrk.
	packages+=(wrk)
	command -v node >/dev/null || packages+=(nodejs)
	command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for package in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Installing Debian's coturn must not start its service: tests run their
	# own servers. policy-rc.d answers "not now" to invoke-rc.d for the
	# duration of the install only.
	policy=/usr/sbin/policy-rc.d
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$with_tests" = 1 ]; then
	(cd tests && npm ci --no-audit --no-fund --loglevel=error)
	# The PeerJS server the benchmark compares icegate with (bench/peerjs).
	(cd bench/peerjs && npm ci --no-audit --no-fund --loglevel=error)
fi
