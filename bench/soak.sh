#!/usr/bin/env bash
# soak.sh: churn against the daemon for a given time while its resident
# memory is sampled every second. Starts icegate (release build) on a free
# loopback port with a throw-away database and a few users, then runs waves
# of calls (connect, authenticate, join, relay offer/answer/candidates, leave,
# disconnect; logins, refreshes, logouts and guest tokens between waves),
# prints VmRSS and the daemon's own /metrics figure per second, and a summary:
# the baseline after warm-up, the peak, and the final figure once the last
# wave has closed. Exits 1 when the final figure is over the baseline by more
# than 10 % or a call failed. bench/soak/ does the work (Node, with the test
# suite's `ws` package); tests/soak/ runs a short version.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build_dir=${ICEGATE_BUILD_DIR:-$repo/build}
seconds=300
pairs=()

usage() {
	cat <<EOF
usage: bench/soak.sh [--build-dir DIR] [--pairs N] [SECONDS]

  SECONDS          how long the churn runs after the warm-up (default 300)
  --pairs N        calls per wave, 1 to 100 (default 100: 200 connections at most)
  --build-dir DIR  where icegate and icegatectl were built
                   (default: \$ICEGATE_BUILD_DIR or $repo/build)
EOF
}

die() {
	echo "soak.sh: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--build-dir)
		[ $# -ge 2 ] || die "--build-dir needs a directory"
		build_dir=$2
		shift
		;;
	--pairs)
		if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]] || [ "$2" -gt 100 ]; then
			die "--pairs needs a number from 1 to 100"
		fi
		pairs=(--pairs "$2")
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		if ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
			usage >&2
			exit 2
		fi
		seconds=$1
		;;
	esac
	shift
done

for binary in "$build_dir/icegate" "$build_dir/icegatectl"; do
	[ -x "$binary" ] || die "$binary is missing; build it first:
  cmake -S $repo -B $build_dir && cmake --build $build_dir --target icegate icegatectl"
done
[ -d "$repo/tests/node_modules/ws" ] || die "the test packages are missing: (cd $repo/tests && npm ci)"

ICEGATE_BIN=$build_dir/icegate ICEGATE_CTL=$build_dir/icegatectl \
	exec node "$here/soak/main.mjs" --seconds "$seconds" "${pairs[@]}"
