#!/usr/bin/env bash
# storm.sh: the join storm. 10,000 WebSocket clients connect to icegate from
# the loopback addresses 127.0.0.2 to 127.0.0.9, authenticate with one bearer
# token on the upgrade request and join rooms of two (receiver and sender),
# as fast as the daemon lets them, at most STORM_CONCURRENCY in setup at once.
# It reports the time from the first connect to the last `joined` (median,
# min and max over several runs, a fresh daemon each), the joins per second,
# the daemon's CPU and the generator's own CPU, which says whether the
# generator was the limit. Any client that fails fails the script, with the
# cause of every failure.
#
# The generator is bench/storm/storm.mjs, one Node process with a minimal
# WebSocket client of its own (bench/storm/wsclient.mjs). `--smoke` runs a
# twenty-client version whose exit status says whether the harness works.
# Figures are reported, never asserted.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build_dir=${ICEGATE_BUILD_DIR:-$repo/build}
smoke=0
runs=""

usage() {
	cat <<EOF
usage: bench/storm.sh [--smoke] [--build-dir DIR] [--runs N]

  --smoke          twenty clients, a few seconds; exit status says whether the harness works
  --build-dir DIR  where icegate and icegatectl were built
                   (default: \$ICEGATE_BUILD_DIR or $repo/build)
  --runs N         storms, each against a fresh daemon (default 5)

Sizes can be changed through the environment: STORM_CLIENTS (10000, even),
STORM_CONCURRENCY (connections in setup at once, 256), STORM_SOURCES
(source addresses from 127.0.0.2, 8), STORM_TIMEOUT (seconds per storm, 60).
Needs node (no npm package).
EOF
}

die() {
	echo "storm.sh: $*" >&2
	exit 1
}

# shellcheck source=SCRIPTDIR/lib/daemon.sh
. "$here/lib/daemon.sh"
bench_parse_options "$@"
command -v node >/dev/null || die "node is missing"

if [ $smoke = 1 ]; then
	clients=20 concurrency=4 sources=2 timeout=15 runs=1
else
	clients=${STORM_CLIENTS:-10000} concurrency=${STORM_CONCURRENCY:-256}
	sources=${STORM_SOURCES:-8} timeout=${STORM_TIMEOUT:-60} runs=${runs:-5}
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/icegate-storm.XXXXXX")
cleanup() {
	bench_stop_daemon
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# One descriptor per connection, in the daemon and in the generator.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((clients + 100)) ] ||
	die "the descriptor hard limit ($(ulimit -Hn)) is below $clients connections"

bench_create_store storm

echo "== storm: $clients clients from $sources source addresses, $concurrency in setup at once, $runs runs"
files=()
for i in $(seq "$runs"); do
	out=$workdir/storm.$i
	# A fresh daemon per storm: each one meets the same empty server.
	bench_start_daemon
	if ! node "$here/storm/storm.mjs" --server "127.0.0.1:$bench_port" \
		--token-file "$bench_token_file" --clients "$clients" --concurrency "$concurrency" \
		--sources "$sources" --timeout "$timeout" --daemon-pid "$bench_daemon_pid" \
		--clock-ticks "$(bench_clock_ticks_per_second)" \
		>"$out" 2>"$out.err"; then
		cat "$out" "$out.err" >&2
		tail -n 20 "$workdir/daemon.log" >&2
		die "storm $i failed"
	fi
	kill -0 "$bench_daemon_pid" 2>/dev/null || die "icegate exited during storm $i"
	bench_stop_daemon
	printf '   run %d: %s s to the last joined (%s joins/s), setup p50 %s ms, p99 %s ms, daemon CPU %s%%, generator CPU %s%%\n' \
		"$i" "$(bench_value storm_seconds "$out")" "$(bench_value joins_per_second "$out")" \
		"$(bench_value setup_p50_ms "$out")" "$(bench_value setup_p99_ms "$out")" \
		"$(bench_value daemon_cpu_percent "$out")" "$(bench_value generator_cpu_percent "$out")"
	files+=("$out")
done

failed=$(for file in "${files[@]}"; do bench_value failed "$file"; done | awk '{ s += $1 } END { print s }')
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Join storm: $clients clients (bearer token on the upgrade, rooms of two)," \
	"from $sources source addresses, at most $concurrency in setup at once; a fresh daemon per run;" \
	"$runs runs; $failed failures."
echo
echo "| Figure | Median | Min | Max | Target |"
echo "|---|---|---|---|---|"
bench_row "First connect to last \`joined\`, s" "$(bench_figure storm_seconds "${files[@]}")" "a few seconds"
bench_row "Joins per second" "$(bench_figure joins_per_second "${files[@]}")"
bench_row "Connect to \`joined\` per client, p50 ms" "$(bench_figure setup_p50_ms "${files[@]}")"
bench_row "Connect to \`joined\` per client, p99 ms" "$(bench_figure setup_p99_ms "${files[@]}")"
bench_row "Daemon CPU, % of one core" "$(bench_figure daemon_cpu_percent "${files[@]}")"
bench_row "Joins per daemon CPU-second" "$(bench_figure joins_per_daemon_cpu_second "${files[@]}")"
bench_row "Generator CPU, % of one core" "$(bench_figure generator_cpu_percent "${files[@]}")"
bench_row "Generator CPU-seconds per daemon CPU-second" "$(bench_figure generator_cpu_per_daemon_cpu "${files[@]}")"
[ $smoke = 0 ] || echo "smoke: ok"
