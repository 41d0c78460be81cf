#!/usr/bin/env bash
# run.sh: icegate's benchmark in one command. It creates a throw-away store
# with one user and one long-lived token, starts the daemon on a free loopback
# port with its per-address and rate limits raised, drives it with
# icegate-loadgen, prints the figures (median, min and max of several runs)
# with the machine they were measured on, and rewrites the results section of
# bench/README.md. The relay, latency and idle scenarios measure, in the same
# run and alternating their order, two more servers on the same generator:
# the PeerJS server (bench/peerjs/, npm package `peer`) and the limit
# reference icegate-forwarder (bench/reference/forwarder.c), and report
# icegate's figures as ratios to theirs. Scenarios:
#
#   relay     relayed messages/s at saturation
#   latency   p50/p99 relay latency at offered rates common to all servers
#   idle      server RSS per idle connection (10,000 connections)
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
                   (skips PeerJS, saying so, if bench/peerjs has no node_modules)
  --build-dir DIR  where icegate, icegatectl, bench/icegate-loadgen and
                   bench/icegate-forwarder were built
                   (default: \$ICEGATE_BUILD_DIR or $repo/build)
  --runs N         runs per scenario (default 5 for relay, latency and turn, 3 for idle)
  --no-readme      print the figures without rewriting bench/README.md

Sizes can be changed through the environment: BENCH_PAIRS, BENCH_WINDOW,
BENCH_DURATION, BENCH_WARMUP, BENCH_PROCESSES, BENCH_SOURCES,
BENCH_CONNECTIONS, BENCH_LOAD_FRACTION (latency loads as fractions of the
lowest saturation rate of the servers, space-separated, default "0.1 0.5"). PeerJS needs Node.js and
'npm ci' in bench/peerjs. The turn scenario uses the patched coturn in
\$ICEGATE_TURN_BUILD, else DIR/turn, else $repo/build/turn.
EOF
}

die() {
	echo "run.sh: $*" >&2
	exit 1
}

# bench_free_port (the rest of it serves mint.sh and storm.sh).
# shellcheck source=SCRIPTDIR/lib/daemon.sh
. "$here/lib/daemon.sh"

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
forwarder=$build_dir/bench/icegate-forwarder
peerjs_dir=$here/peerjs
if [ $needs_daemon = 1 ]; then
	for binary in "$daemon" "$ctl" "$loadgen" "$forwarder"; do
		[ -x "$binary" ] || die "$binary is missing; build it first:
  cmake -S $repo -B $build_dir && cmake --build $build_dir --target icegate icegatectl icegate-loadgen icegate-forwarder"
	done
fi
turn_build=${ICEGATE_TURN_BUILD:-$build_dir/turn}
[ -n "${ICEGATE_TURN_BUILD:-}" ] || [ -x "$turn_build/bin/turnserver" ] || turn_build=$repo/build/turn

# The servers compared, in the order of odd-numbered runs (even runs reverse it).
servers=(icegate peerjs forwarder)
if [ $needs_daemon = 1 ] && ! { command -v node >/dev/null && [ -d "$peerjs_dir/node_modules/peer" ]; }; then
	[ $smoke = 1 ] || die "PeerJS is not installed: run 'npm ci' in $peerjs_dir (needs Node.js)"
	echo "run.sh: PeerJS is not installed (npm ci in bench/peerjs): the smoke run skips it"
	servers=(icegate forwarder)
fi
declare -A label=([icegate]=icegate [peerjs]=PeerJS [forwarder]=forwarder)
declare -A protocol=([icegate]=icegate [peerjs]=peerjs [forwarder]=echo)

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
# Latency loads, as fractions of the lowest saturation rate of the servers.
read -r -a load_fractions <<<"${BENCH_LOAD_FRACTION:-0.1 0.5}"
[ $smoke = 0 ] || load_fractions=(0.5)

workdir=$(mktemp -d "${TMPDIR:-/tmp}/icegate-bench.XXXXXX")
db=$workdir/icegate.db
declare -A server_pid=() server_port=()

stop_server() { # stop_server NAME
	local pid=${server_pid[$1]:-}
	[ -n "$pid" ] || return 0
	if kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	server_pid[$1]=""
}

stop_servers() {
	for name in "${servers[@]}"; do stop_server "$name"; done
}

cleanup() {
	stop_servers
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each server needs one descriptor per connection; so does each generator.
ulimit -n "$(ulimit -Hn)"


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

# icegate's settings above are lifted the same way for the others where they
# have such a limit: PeerJS's concurrent_limit (bench/peerjs/server.mjs); the
# forwarder has none.

# 0 if the daemon answers GET /healthz with 200 (bash's /dev/tcp: no curl needed).
healthy() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/${server_port[icegate]}" || exit 1
		printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
		IFS= read -r -t 2 status <&3 && [[ $status == "HTTP/1.1 200"* ]]
	) 2>/dev/null
}

# 0 once something listens on 127.0.0.1:PORT.
listening() {
	[ -n "$(ss -Htln "src 127.0.0.1:$1" 2>/dev/null)" ]
}

start_server() { # start_server NAME
	local name=$1 port log=$workdir/$1.log
	port=$(bench_free_port)
	server_port[$name]=$port
	case $name in
	icegate)
		"$daemon" -p "127.0.0.1:$port" --db "$db" --web-root "$repo/web" "${daemon_settings[@]}" \
			>"$log" 2>&1 &
		;;
	peerjs) node "$peerjs_dir/server.mjs" "$port" >"$log" 2>&1 & ;;
	forwarder) "$forwarder" "$port" >"$log" 2>&1 & ;;
	esac
	server_pid[$name]=$!
	for _ in $(seq 150); do
		if ! kill -0 "${server_pid[$name]}" 2>/dev/null; then
			server_pid[$name]=""
			tail -n 20 "$log" >&2
			die "${label[$name]} exited during startup"
		fi
		if [ "$name" = icegate ]; then
			healthy && return 0
		else
			listening "$port" && return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$log" >&2
	die "${label[$name]} did not start listening within 15 s"
}

# The servers in the order of run number $1: odd runs as listed, even runs reversed.
run_order() {
	if [ $(($1 % 2)) = 1 ]; then
		printf '%s\n' "${servers[@]}"
	else
		printf '%s\n' "${servers[@]}" | tac
	fi
}

# Runs the generator against server $2; its key=value output goes to $1.
# Fails the script, showing the generator's own diagnosis, if the run was
# not clean.
loadgen_run() {
	local out=$1 name=$2
	shift 2
	local target=(--protocol "${protocol[$name]}" --server "127.0.0.1:${server_port[$name]}"
		--daemon-pid "${server_pid[$name]}")
	[ "$name" != icegate ] || target+=(--token-file "$workdir/token")
	if ! "$loadgen" "$@" "${target[@]}" --sources "$sources" --setup-timeout "$setup_timeout" \
		>"$out"; then
		grep -E '^(error|status|received|failed|lost|errors|rate_limited)=' "$out" >&2 || true
		tail -n 20 "$workdir/$name.log" >&2
		die "icegate-loadgen $1 against ${label[$name]} failed"
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

# cell "median min max": "median (min–max)".
cell() {
	local median min max
	read -r median min max <<<"$1"
	printf '%s (%s–%s)' "$median" "$min" "$max"
}

# ratio A B: A / B to two significant decimals, or n/a.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b + 0 == 0) { print "n/a"; exit }
		printf "%.2f\n", a / b }'
}

# The table header: one column per server, then the ratios.
table_head() {
	local header="| Figure |" rule="|---|"
	for name in "${servers[@]}"; do
		header+=" ${label[$name]} |"
		rule+="---|"
	done
	for name in "${servers[@]}"; do
		[ "$name" = icegate ] && continue
		header+=" icegate / ${label[$name]} |"
		rule+="---|"
	done
	echo "$header Target |"
	echo "$rule---|"
}

# compare LABEL KEY SCENARIO [TARGET]: one row, each server's figure over its
# run files $results_dir/SCENARIO.SERVER.*, then icegate's median over each
# other server's.
compare() {
	local title=$1 key=$2 scenario=$3 goal=${4:-} line
	declare -A medians=()
	line="| $title |"
	for name in "${servers[@]}"; do
		local summary
		summary=$(figure "$key" "$results_dir/$scenario.$name".*)
		medians[$name]=${summary%% *}
		line+=" $(cell "$summary") |"
	done
	for name in "${servers[@]}"; do
		[ "$name" = icegate ] && continue
		line+=" $(ratio "${medians[icegate]}" "${medians[$name]}") |"
	done
	echo "$line $goal |"
}

# servers_note: the servers compared, for a block's first line.
servers_note() {
	local names=()
	for name in "${servers[@]}"; do names+=("${label[$name]}"); done
	local IFS=,
	echo "servers ${names[*]}, alternating order per run"
}

# shellcheck source=SCRIPTDIR/report.sh
. "$here/report.sh"
results_dir=$workdir/results
mkdir -p "$results_dir"

declare -A saturation=()

run_relay() {
	echo "== relay: $pairs pairs, window $window, ${duration}s after ${warmup}s warm-up, $relay_runs runs per server"
	for i in $(seq "$relay_runs"); do
		for name in $(run_order "$i"); do
			local out=$results_dir/relay.$name.$i
			loadgen_run "$out" "$name" relay --pairs "$pairs" --window "$window" \
				--duration "$duration" --warmup "$warmup" --processes "$processes" \
				--concurrency "$relay_concurrency"
			printf '   run %d %-9s: %s msgs/s, server CPU %s%% (%s msgs per CPU-second), generator CPU %s%%\n' \
				"$i" "$name" "$(value rate "$out")" "$(value daemon_cpu_percent "$out")" \
				"$(value rate_per_daemon_core "$out")" "$(value generator_cpu_percent "$out")"
		done
	done
	for name in "${servers[@]}"; do
		saturation[$name]=$(figure rate "$results_dir/relay.$name".* | cut -d' ' -f1)
	done
	{
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Saturation: $pairs pairs, one room each, $window messages in flight per sender," \
			"$processes generator process(es), ${duration} s windows; $relay_runs runs per server; $(servers_note)." \
			"Cells: median (min–max); ratios of the medians."
		echo
		table_head
		compare "Relayed messages/s" rate relay "icegate ≥ 100,000 on one core; ≥ 5× PeerJS; ≥ 0.5× forwarder"
		compare "Server CPU, % of one core" daemon_cpu_percent relay
		compare "Relayed messages per server CPU-second" rate_per_daemon_core relay "≥ 100,000"
		compare "Generator CPU, % of one core" generator_cpu_percent relay
		compare "Latency under saturation, p50 µs" latency_p50_us relay
		compare "Latency under saturation, p99 µs" latency_p99_us relay
	} >"$results_dir/relay.md"
}

# The saturation rate of each server, measured now if the relay scenario
# did not run.
probe_saturation() {
	for name in "${servers[@]}"; do
		[ -z "${saturation[$name]:-}" ] || continue
		echo "== latency: measuring ${label[$name]}'s saturation rate first"
		loadgen_run "$results_dir/probe.$name" "$name" relay --pairs "$pairs" --window "$window" \
			--duration "$duration" --warmup "$warmup" --processes "$processes" \
			--concurrency "$relay_concurrency"
		saturation[$name]=$(value rate "$results_dir/probe.$name")
	done
}

run_latency() {
	probe_saturation
	# The same offered rates for every server, below the slowest one's
	# saturation, so that the latencies compare at the same load.
	local slowest="" lowest=""
	for name in "${servers[@]}"; do
		if [ -z "$lowest" ] || awk -v a="${saturation[$name]}" -v b="$lowest" 'BEGIN { exit !(a < b) }'; then
			lowest=${saturation[$name]} slowest=$name
		fi
	done
	: >"$results_dir/latency.md"
	for fraction in "${load_fractions[@]}"; do
		measure_latency "$fraction" "$slowest" "$lowest"
	done
}

measure_latency() { # measure_latency FRACTION SLOWEST_SERVER ITS_RATE
	local fraction=$1 slowest=$2 lowest=$3 rate
	rate=$(awk -v s="$lowest" -v f="$fraction" 'BEGIN { r = s * f; printf "%.0f", r < 1 ? 1 : r }')
	[ $smoke = 1 ] && rate=200
	echo "== latency: $rate msgs/s offered to each server ($fraction of ${label[$slowest]}'s $lowest), $relay_runs runs per server"
	rm -f "$results_dir"/latency.*.[0-9]* # the previous rate's runs
	local separator=""
	[ ! -s "$results_dir/latency.md" ] || separator=yes
	for i in $(seq "$relay_runs"); do
		for name in $(run_order "$i"); do
			local out=$results_dir/latency.$name.$i
			loadgen_run "$out" "$name" relay --pairs "$pairs" --window "$window" \
				--duration "$duration" --warmup "$warmup" --processes "$processes" \
				--rate "$rate" --concurrency "$relay_concurrency"
			printf '   run %d %-9s: %s msgs/s, p50 %s µs, p99 %s µs\n' "$i" "$name" \
				"$(value rate "$out")" "$(value latency_p50_us "$out")" \
				"$(value latency_p99_us "$out")"
		done
	done
	{
		[ -z "$separator" ] || echo
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Latency: $rate messages/s offered in total to each server ($fraction of" \
			"the lowest saturation median, ${label[$slowest]}'s $lowest), same pairs, paced by a 0.2 ms timer;" \
			"$relay_runs runs per server; $(servers_note). Cells: median (min–max); ratios of the medians."
		echo
		table_head
		compare "Achieved messages/s" rate latency
		compare "Latency p50, µs" latency_p50_us latency
		compare "Latency p99, µs" latency_p99_us latency "icegate / PeerJS < 1"
		compare "Latency p99.9, µs" latency_p999_us latency
		compare "Server CPU, % of one core" daemon_cpu_percent latency
		compare "Generator CPU, % of one core" generator_cpu_percent latency
	} >>"$results_dir/latency.md"
}

run_idle() {
	echo "== idle: $connections connections, a fresh server per run, $idle_runs runs per server"
	# Each run gets a fresh server: memory freed by a previous run would be
	# reused and hide the cost of new connections.
	stop_servers
	for i in $(seq "$idle_runs"); do
		for name in $(run_order "$i"); do
			local out=$results_dir/idle.$name.$i
			start_server "$name"
			loadgen_run "$out" "$name" idle --connections "$connections" --settle "$settle" \
				--processes 1 --concurrency "$idle_concurrency"
			stop_server "$name"
			printf '   run %d %-9s: %s bytes per connection (RSS %s -> %s KiB)\n' "$i" "$name" \
				"$(value rss_per_connection_bytes "$out")" "$(value daemon_rss_before_kib "$out")" \
				"$(value daemon_rss_after_kib "$out")"
		done
	done
	{
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Idle: $connections connections (icegate: authenticated; PeerJS: registered" \
			"with an id; forwarder: paired), in no room, held ${settle} s before reading VmRSS; a fresh server per run;" \
			"$idle_runs runs per server; $(servers_note). Cells: median (min–max); ratios of the medians."
		echo
		table_head
		compare "Server RSS per idle connection, bytes" rss_per_connection_bytes idle "icegate ≤ 4,096"
		compare "Server RSS before, KiB" daemon_rss_before_kib idle
		compare "Server RSS holding the connections, KiB" daemon_rss_after_kib idle
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
	{
		environment_describe "$build_dir" "$repo"
		if [[ " ${servers[*]} " == *" peerjs "* ]]; then
			echo "- PeerJS server: peer $(node -p "require('$peerjs_dir/node_modules/peer/package.json').version") on Node $(node --version)"
		fi
		echo "- Reference: icegate-forwarder (bench/reference/forwarder.c), same build"
	} >"$results_dir/environment.md"
	sed 's/^/   /' "$results_dir/environment.md"
fi
for scenario in "${scenarios[@]}"; do
	if [ "$scenario" != turn ]; then
		for name in "${servers[@]}"; do
			[ -n "${server_pid[$name]:-}" ] || start_server "$name"
		done
	fi
	"run_$scenario"
done
stop_servers

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
