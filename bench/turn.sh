#!/usr/bin/env bash
# turn.sh: the TURN benchmark. Runs the patched coturn (build/turn) and
# Debian's stock coturn (/usr/bin/turnserver) side by side on loopback with
# the same configuration and database, and measures Allocate rate, relayed
# throughput, their patched/stock ratios and the patched server's
# revocation-to-teardown latency (bench/turn/main.mjs does the work). Prints
# the machine and versions with the figures, and rewrites the TURN block of
# bench/README.md unless told not to. Never touches the system's coturn
# service: both servers are private processes on free loopback ports, and
# every process started is killed at the end.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
turn_build=${ICEGATE_TURN_BUILD:-$repo/build/turn}
readme=$here/README.md
smoke=0
write_readme=1
report=""
runs=()

usage() {
	cat <<EOF
usage: bench/turn.sh [--smoke] [--runs N] [--no-readme] [--report FILE] [--turn-build DIR]

  --smoke           tiny counts, about 10 s; exit status says whether the harness works
  --runs N          runs per server for the rate figures (default 5)
  --no-readme       print the figures without rewriting bench/README.md
  --report FILE     write the results block (Markdown) to FILE instead of the README
  --turn-build DIR  the patched coturn build (default: \$ICEGATE_TURN_BUILD or $repo/build/turn)
EOF
}

die() {
	echo "turn.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1 ;;
	--no-readme) write_readme=0 ;;
	--runs)
		if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
			die "--runs needs a positive number"
		fi
		runs=(--runs "$2")
		shift
		;;
	--report)
		[ $# -ge 2 ] || die "--report needs a file"
		report=$2
		shift
		;;
	--turn-build)
		[ $# -ge 2 ] || die "--turn-build needs a directory"
		turn_build=$2
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
	shift
done
[ $smoke = 0 ] || write_readme=0

for binary in turnserver turnutils_uclient turnutils_peer; do
	[ -x "$turn_build/bin/$binary" ] || die "$turn_build/bin/$binary is missing; build it first:
  cmake --build build --target turn   (or turn/build.sh $turn_build)"
done
[ -x /usr/bin/turnserver ] || die "/usr/bin/turnserver (Debian's coturn package) is missing"
for tool in node sqlite3; do
	command -v "$tool" >/dev/null || die "$tool is needed"
done

workdir=$(mktemp -d "${TMPDIR:-/tmp}/icegate-turn-bench.XXXXXX")
node_pid=""
cleanup() {
	if [ -n "$node_pid" ]; then
		# main.mjs kills its servers, peer and clients on SIGTERM.
		kill -TERM "$node_pid" 2>/dev/null || true
		wait "$node_pid" 2>/dev/null || true
	fi
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

patches=""
for patch in "$repo"/turn/patches/*.patch; do patches+="${patch##*/} "; done
stock_version=$(dpkg-query -W -f='${Version}' coturn 2>/dev/null || echo unknown)
patched_version=$("$turn_build/bin/turnserver" --version 2>/dev/null | head -n 1 || true)
{
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- Machine: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -sr); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- Patched coturn: ${patched_version:-unknown} with ${patches% }"
	echo "- Stock coturn: Debian package coturn $stock_version (/usr/bin/turnserver)"
	echo "- Load: turnutils_uclient and turnutils_peer of the patched build; Node $(node --version) for the Allocate generator; SQLite $(sqlite3 --version | cut -d' ' -f1)"
} >"$workdir/environment.md"
echo "== TURN benchmark"
sed 's/^/   /' "$workdir/environment.md"

smoke_flag=()
[ $smoke = 0 ] || smoke_flag=(--smoke)
ICEGATE_TURN_BUILD=$turn_build node "$here/turn/main.mjs" "${smoke_flag[@]}" "${runs[@]}" \
	--report "$workdir/results.md" &
node_pid=$!
status=0
wait "$node_pid" || status=$?
node_pid=""
[ $status = 0 ] || die "the benchmark failed (exit $status)"

{
	cat "$workdir/environment.md"
	echo
	cat "$workdir/results.md"
} >"$workdir/turn.md"
if [ -n "$report" ]; then
	# The caller (run.sh) prints the block with its other results.
	cp "$workdir/turn.md" "$report"
	exit 0
fi
echo
cat "$workdir/turn.md"
if [ $write_readme = 1 ]; then
	# shellcheck source=SCRIPTDIR/report.sh
	. "$here/report.sh"
	readme_replace "$readme" turn "$workdir/turn.md"
	echo "bench/README.md updated."
fi
[ $smoke = 0 ] || echo "turn smoke: ok"
