#!/usr/bin/env bash
# run.sh: icegate's benchmark in one command. It creates a throw-away store
# with one user and one long-lived token, starts the daemon on a free loopback
# port with its per-address and rate limits raised, drives it with
# icegate-loadgen, prints the figures (median, min and max of several runs)
# with the machine they were measured on, and rewrites the results section of
# bench/README.md. Scenarios:
#
#   relay     relayed messages/s at saturation
#   latency   p50/p99 relay latency at half the saturation rate
#   idle      daemon RSS per idle authenticated connection (10,000 connections)
#   turn      patched coturn against Debian's stock coturn (bench/turn.sh):
#             Allocate rate, relayed throughput, revocation-to-teardown latency
#
# `run.sh` runs all four, `run.sh SCENARIO...` only those, and `--smoke`
# tiny versions that finish in seconds and fail when the harness is broken.
# Figures are reported, never asserted: benchmarks are not timed tests.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build_dir=${ICEGATE_BUILD_DIR:-$repo/build}
readme=$here/README.md
smoke=0
write_readme=1
runs=""
scenarios=()

usage() {
	cat <<EOF
usage: bench/run.sh [--smoke] [--build-dir DIR] [--runs N] [--no-readme] [relay|latency|idle|turn|all]...

  --smoke          tiny counts, a few seconds; exit status says whether the harness works
  --build-dir DIR  where icegate, icegatectl and bench/icegate-loadgen were built
                   (default: \$ICEGATE_BUILD_DIR or $repo/build)
  --runs N         runs per scenario (default 5 for relay, latency and turn, 3 for idle)
  --no-readme      print the figures without rewriting bench/README.md

Sizes can be changed through the environment: BENCH_PAIRS, BENCH_WINDOW,
BENCH_DURATION, BENCH_WARMUP, BENCH_PROCESSES, BENCH_SOURCES,
BENCH_CONNECTIONS, BENCH_LOAD_FRACTION (latency load as a fraction of the
saturation rate, default 0.5). The turn scenario uses the patched coturn in
\$ICEGATE_TURN_BUILD, else DIR/turn, else $repo/build/turn.
EOF
}

die() {
	echo "run.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1 ;;
	--no-readme) write_readme=0 ;;
	--build-dir)
		[ $# -ge 2 ] || die "--build-dir needs a directory"
		build_dir=$2
		shift
		;;
	--runs)
		if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
			die "--runs needs a positive number"
		fi
		runs=$2
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	relay | latency | idle | turn) scenarios+=("$1") ;;
	all) scenarios+=(relay latency idle turn) ;;
	*)
		usage >&2
		exit 2
		;;
	esac
	shift
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=(relay latency idle turn)

# The turn scenario runs its own servers; the others need icegate's daemon.
needs_daemon=0
for scenario in "${scenarios[@]}"; do
	[ "$scenario" = turn ] || needs_daemon=1
done

daemon=$build_dir/icegate
ctl=$build_dir/icegatectl
loadgen=$build_dir/bench/icegate-loadgen
if [ $needs_daemon = 1 ]; then
	for binary in "$daemon" "$ctl" "$loadgen"; do
		[ -x "$binary" ] || die "$binary is missing; build it first:
  cmake -S $repo -B $build_dir && cmake --build $build_dir --target icegate icegatectl icegate-loadgen"
	done
fi
turn_build=${ICEGATE_TURN_BUILD:-$build_dir/turn}
[ -n "${ICEGATE_TURN_BUILD:-}" ] || [ -x "$turn_build/bin/turnserver" ] || turn_build=$repo/build/turn

# Sizes. Smoke mode keeps every count tiny; the figures it prints mean nothing.
if [ $smoke = 1 ]; then
	pairs=2 window=4 duration=0.5 warmup=0.2 processes=1 sources=2 connections=50
	relay_runs=1 idle_runs=1 settle=0.2
	# Fewer connections in setup at once than there are connections, so the
	# smoke run also exercises the generator's paced connection setup.
	relay_concurrency=2 idle_concurrency=8 setup_timeout=10
	write_readme=0
else
	pairs=${BENCH_PAIRS:-64} window=${BENCH_WINDOW:-16}
	duration=${BENCH_DURATION:-5} warmup=${BENCH_WARMUP:-1}
	processes=${BENCH_PROCESSES:-1} sources=${BENCH_SOURCES:-8}
	connections=${BENCH_CONNECTIONS:-10000}
	relay_runs=${runs:-5} idle_runs=${runs:-3} settle=2
	relay_concurrency=64 idle_concurrency=128 setup_timeout=60
fi
load_fraction=${BENCH_LOAD_FRACTION:-0.5}

workdir=$(mktemp -d "${TMPDIR:-/tmp}/icegate-bench.XXXXXX")
db=$workdir/icegate.db
daemon_pid=""
port=""

stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	if kill -TERM "$daemon_pid" 2>/dev/null; then
		for _ in $(seq 100); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$daemon_pid" 2>/dev/null || true
	fi
	wait "$daemon_pid" 2>/dev/null || true
	daemon_pid=""
}

cleanup() {
	stop_daemon
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each daemon needs one descriptor per connection; so does each generator.
ulimit -n "$(ulimit -Hn)"

free_port() {
	local candidate
	for _ in $(seq 50); do
		candidate=$((20000 + RANDOM % 20000))
		if [ -z "$(ss -Htln "sport = :$candidate" 2>/dev/null)" ]; then
			echo "$candidate"
			return 0
		fi
	done
	die "no free loopback port found"
}

# The store: one user, one token for every connection (the benchmark
# measures relaying, not token verification at connection rate).
create_store() {
	local password out token
	password=$(openssl rand -hex 24)
	printf '%s' "$password" | "$ctl" --db "$db" user add bench --password-stdin >/dev/null ||
		die "icegatectl user add failed"
	out=$("$ctl" --db "$db" token bench --ttl 3600) || die "icegatectl token failed"
	token=$(printf '%s\n' "$out" | grep -oE '[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+' |
		head -n 1) || true
	[ -n "$token" ] || die "icegatectl token printed no token"
	(umask 077 && printf '%s\n' "$token" >"$workdir/token")
}

# The limits a benchmark must lift: per-address connections (every client
# comes from a handful of loopback addresses) and the per-connection message
# rate (the relay test sends as fast as the daemon allows).
daemon_settings=(
	--set max_connections_per_address=100000
	--set messages_per_second=10000000
	--set message_burst=10000000
	--set log_level=warn
)

# 0 if the daemon answers GET /healthz with 200 (bash's /dev/tcp: no curl needed).
healthy() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
		printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
		IFS= read -r -t 2 status <&3 && [[ $status == "HTTP/1.1 200"* ]]
	) 2>/dev/null
}

start_daemon() {
	port=$(free_port)
	"$daemon" -p "127.0.0.1:$port" --db "$db" --web-root "$repo/web" "${daemon_settings[@]}" \
		>"$workdir/daemon.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 150); do
		if ! kill -0 "$daemon_pid" 2>/dev/null; then
			daemon_pid=""
			tail -n 20 "$workdir/daemon.log" >&2
			die "icegate exited during startup"
		fi
		healthy && return 0
		sleep 0.1
	done
	tail -n 20 "$workdir/daemon.log" >&2
	die "icegate did not answer /healthz within 15 s"
}

# Runs the generator; its key=value output goes to $1. Fails the script,
# showing the generator's own diagnosis, if the run was not clean.
loadgen_run() {
	local out=$1
	shift
	if ! "$loadgen" "$@" --server "127.0.0.1:$port" --token-file "$workdir/token" \
		--daemon-pid "$daemon_pid" --sources "$sources" --setup-timeout "$setup_timeout" \
		>"$out"; then
		grep -E '^(error|status|received|failed|lost|errors|rate_limited)=' "$out" >&2 || true
		tail -n 20 "$workdir/daemon.log" >&2
		die "icegate-loadgen $1 failed"
	fi
}

value() { # value KEY FILE
	awk -F= -v key="$1" '$1 == key { print substr($0, length(key) + 2) }' "$2"
}

# Reads numbers, one a line; prints "median min max".
summarize() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "n/a n/a n/a"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6g %.6g %.6g\n", m, v[1], v[NR]
		}'
}

# Summarizes one key over a scenario's run files: "median min max".
figure() { # figure KEY FILES...
	local key=$1
	shift
	for file in "$@"; do value "$key" "$file"; done | summarize
}

row() { # row LABEL "median min max" [TARGET]
	local label=$1 median min max
	read -r median min max <<<"$2"
	printf '| %s | %s | %s | %s | %s |\n' "$label" "$median" "$min" "$max" "${3:-}"
}

# shellcheck source=SCRIPTDIR/report.sh
. "$here/report.sh"
results_dir=$workdir/results
mkdir -p "$results_dir"
saturation=""

run_relay() {
	echo "== relay: $pairs pairs, window $window, ${duration}s after ${warmup}s warm-up, $relay_runs runs"
	local files=()
	for i in $(seq "$relay_runs"); do
		local out=$results_dir/relay.$i
		loadgen_run "$out" relay --pairs "$pairs" --window "$window" --duration "$duration" \
			--warmup "$warmup" --processes "$processes" --concurrency "$relay_concurrency"
		printf '   run %d: %s msgs/s, daemon CPU %s%% (%s msgs per CPU-second), generator CPU %s%%\n' \
			"$i" "$(value rate "$out")" "$(value daemon_cpu_percent "$out")" \
			"$(value rate_per_daemon_core "$out")" "$(value generator_cpu_percent "$out")"
		files+=("$out")
	done
	saturation=$(figure rate "${files[@]}" | cut -d' ' -f1)
	{
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Saturation: $pairs pairs, one room each, $window messages in flight per sender," \
			"$processes generator process(es), ${duration} s windows; $relay_runs runs."
		echo
		echo "| Figure | Median | Min | Max | Target |"
		echo "|---|---|---|---|---|"
		row "Relayed messages/s" "$(figure rate "${files[@]}")" "≥ 100,000 on one core"
		row "Daemon CPU, % of one core" "$(figure daemon_cpu_percent "${files[@]}")"
		row "Relayed messages per daemon CPU-second" \
			"$(figure rate_per_daemon_core "${files[@]}")" "≥ 100,000"
		row "Generator CPU, % of one core" "$(figure generator_cpu_percent "${files[@]}")"
		row "Latency under saturation, p50 µs" "$(figure latency_p50_us "${files[@]}")"
		row "Latency under saturation, p99 µs" "$(figure latency_p99_us "${files[@]}")"
	} >"$results_dir/relay.md"
}

run_latency() {
	if [ -z "$saturation" ]; then
		echo "== latency: measuring the saturation rate first"
		loadgen_run "$results_dir/probe" relay --pairs "$pairs" --window "$window" \
			--duration "$duration" --warmup "$warmup" --processes "$processes" \
			--concurrency "$relay_concurrency"
		saturation=$(value rate "$results_dir/probe")
	fi
	local rate
	rate=$(awk -v s="$saturation" -v f="$load_fraction" 'BEGIN { r = s * f; printf "%.0f", r < 1 ? 1 : r }')
	[ $smoke = 1 ] && rate=200
	echo "== latency: $rate msgs/s offered ($load_fraction of $saturation), $relay_runs runs"
	local files=()
	for i in $(seq "$relay_runs"); do
		local out=$results_dir/latency.$i
		loadgen_run "$out" relay --pairs "$pairs" --window "$window" --duration "$duration" \
			--warmup "$warmup" --processes "$processes" --rate "$rate" \
			--concurrency "$relay_concurrency"
		printf '   run %d: %s msgs/s, p50 %s µs, p99 %s µs\n' "$i" "$(value rate "$out")" \
			"$(value latency_p50_us "$out")" "$(value latency_p99_us "$out")"
		files+=("$out")
	done
	{
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Latency: $rate messages/s offered in total ($load_fraction of the saturation" \
			"median $saturation), same pairs, paced by a 0.2 ms timer; $relay_runs runs."
		echo
		echo "| Figure | Median | Min | Max | Target |"
		echo "|---|---|---|---|---|"
		row "Achieved messages/s" "$(figure rate "${files[@]}")"
		row "Latency p50, µs" "$(figure latency_p50_us "${files[@]}")"
		row "Latency p99, µs" "$(figure latency_p99_us "${files[@]}")"
		row "Latency p99.9, µs" "$(figure latency_p999_us "${files[@]}")"
		row "Daemon CPU, % of one core" "$(figure daemon_cpu_percent "${files[@]}")"
		row "Generator CPU, % of one core" "$(figure generator_cpu_percent "${files[@]}")"
	} >"$results_dir/latency.md"
}

run_idle() {
	echo "== idle: $connections connections, a fresh daemon per run, $idle_runs runs"
	local files=()
	# Each run gets a fresh daemon: memory freed by a previous run would be
	# reused and hide the cost of new connections.
	stop_daemon
	for i in $(seq "$idle_runs"); do
		local out=$results_dir/idle.$i
		start_daemon
		loadgen_run "$out" idle --connections "$connections" --settle "$settle" \
			--processes 1 --concurrency "$idle_concurrency"
		stop_daemon
		printf '   run %d: %s bytes per connection (RSS %s -> %s KiB)\n' "$i" \
			"$(value rss_per_connection_bytes "$out")" "$(value daemon_rss_before_kib "$out")" \
			"$(value daemon_rss_after_kib "$out")"
		files+=("$out")
	done
	{
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Idle: $connections authenticated connections that joined no room, held" \
			"${settle} s before reading VmRSS; a fresh daemon per run; $idle_runs runs."
		echo
		echo "| Figure | Median | Min | Max | Target |"
		echo "|---|---|---|---|---|"
		row "Daemon RSS per idle connection, bytes" \
			"$(figure rss_per_connection_bytes "${files[@]}")" "≤ 8,192"
		row "Daemon RSS before, KiB" "$(figure daemon_rss_before_kib "${files[@]}")"
		row "Daemon RSS holding the connections, KiB" \
			"$(figure daemon_rss_after_kib "${files[@]}")"
	} >"$results_dir/idle.md"
}

# The TURN benchmark describes its own machine and versions in its block.
run_turn() {
	local options=(--turn-build "$turn_build" --report "$results_dir/turn.md")
	[ $smoke = 0 ] || options+=(--smoke)
	[ -z "$runs" ] || options+=(--runs "$runs")
	"$here/turn.sh" "${options[@]}" || die "the turn scenario failed"
}

if [ $needs_daemon = 1 ]; then
	create_store
	start_daemon
	environment_describe "$build_dir" "$repo" >"$results_dir/environment.md"
	echo "== icegate on 127.0.0.1:$port (pid $daemon_pid)"
	sed 's/^/   /' "$results_dir/environment.md"
fi
for scenario in "${scenarios[@]}"; do
	[ "$scenario" = turn ] || [ -n "$daemon_pid" ] || start_daemon
	"run_$scenario"
done
stop_daemon

echo
for scenario in "${scenarios[@]}"; do
	cat "$results_dir/$scenario.md"
	echo
done

if [ $write_readme = 1 ]; then
	[ $needs_daemon = 0 ] || readme_replace "$readme" environment "$results_dir/environment.md"
	for scenario in "${scenarios[@]}"; do
		readme_replace "$readme" "$scenario" "$results_dir/$scenario.md"
	done
	echo "bench/README.md updated."
fi
[ $smoke = 0 ] || echo "smoke: ok"
