# shellcheck shell=bash disable=SC2154 # repo, workdir, daemon, ctl: set by the caller
# daemon.sh: sourced by the benchmark scripts that drive a live icegate. It
# creates a throw-away store with one user and one long-lived access token,
# starts the daemon on a free loopback port with the limits a benchmark must
# lift, stops it, and reads the figures every benchmark reports: a process's
# CPU time from /proc/PID/stat, and "median min max" of a list of numbers.
#
# The caller sets, before calling anything here:
#   repo     the repository (the daemon serves $repo/web)
#   workdir  a private temporary directory, removed by the caller
#   daemon   the icegate binary; ctl: the icegatectl binary (or lets
#            bench_parse_options set both)
# and defines die MESSAGE and usage. The functions below set:
#   bench_token_file  the access token, in a mode-600 file (never on a command line)
#   bench_port        the daemon's port on 127.0.0.1
#   bench_daemon_pid  the daemon's process id, empty when it is not running

bench_token_file=""
bench_port=""
bench_daemon_pid=""

# The options every script on this library takes: --smoke, --build-dir DIR,
# --runs N and -h (the caller's usage). Sets smoke, build_dir and runs, then
# daemon and ctl from build_dir, and dies unless both are built. Call it
# before anything else here: it is what sets daemon and ctl.
bench_parse_options() {
	while [ $# -gt 0 ]; do
		case $1 in
		--smoke) smoke=1 ;;
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
		*)
			usage >&2
			exit 2
			;;
		esac
		shift
	done

	daemon=$build_dir/icegate
	ctl=$build_dir/icegatectl
	for binary in "$daemon" "$ctl"; do
		[ -x "$binary" ] || die "$binary is missing; build it first:
	  cmake -S $repo -B $build_dir && cmake --build $build_dir --target icegate icegatectl"
	done
}

# The limits a benchmark must lift: per-address connections (every client
# comes from a handful of loopback addresses) and the per-connection message
# rate. One log line per connection would measure the terminal.
bench_daemon_settings=(
	--set max_connections_per_address=100000
	--set messages_per_second=10000000
	--set message_burst=10000000
	--set log_level=warn
)

# bench_free_port: a TCP port no socket uses, below the kernel's ephemeral
# range: a port there could be any outgoing connection's source, and a check
# for listeners alone would miss that until the bind fails.
bench_free_port() {
	local low high candidate
	read -r low high </proc/sys/net/ipv4/ip_local_port_range
	[ "$low" -gt 11024 ] || die "the ephemeral port range starts at $low: no room below it"
	for _ in $(seq 50); do
		candidate=$((10000 + RANDOM % (low - 10000)))
		if [ -z "$(ss -Htan "sport = :$candidate" 2>/dev/null)" ]; then
			echo "$candidate"
			return 0
		fi
	done
	die "no free loopback port found"
}

# bench_create_store USER: the database $workdir/icegate.db with USER (both
# roles) and a one-hour access token for USER in $workdir/token.
bench_create_store() {
	local user=$1 password out token
	password=$(openssl rand -hex 24)
	printf '%s' "$password" | "$ctl" --db "$workdir/icegate.db" user add "$user" \
		--password-stdin >/dev/null || die "icegatectl user add failed"
	out=$("$ctl" --db "$workdir/icegate.db" token "$user" --ttl 3600) ||
		die "icegatectl token failed"
	token=$(printf '%s\n' "$out" | grep -oE '[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+' |
		head -n 1) || true
	[ -n "$token" ] || die "icegatectl token printed no token"
	bench_token_file=$workdir/token
	(umask 077 && printf '%s\n' "$token" >"$bench_token_file")
}

# bench_http_status PATH [HEADER_FILE]: the status line of GET PATH, sent
# with the header lines in HEADER_FILE (bash's /dev/tcp: no curl needed).
bench_http_status() {
	local path=$1 header_file=${2:-}
	(
		exec 3<>"/dev/tcp/127.0.0.1/$bench_port" || exit 1
		{
			printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n' "$path"
			[ -z "$header_file" ] || sed 's/$/\r/' "$header_file"
			printf '\r\n'
		} >&3
		IFS= read -r -t 2 status <&3 && printf '%s\n' "${status%$'\r'}"
	) 2>/dev/null
}

bench_healthy() {
	[[ $(bench_http_status /healthz) == "HTTP/1.1 200"* ]]
}

# bench_start_daemon [--set KEY=VALUE]...: icegate on a free port of
# 127.0.0.1 with $workdir/icegate.db, its log in $workdir/daemon.log.
# shellcheck disable=SC2120 # the settings are optional
bench_start_daemon() {
	bench_port=$(bench_free_port)
	"$daemon" -p "127.0.0.1:$bench_port" --db "$workdir/icegate.db" --web-root "$repo/web" \
		"${bench_daemon_settings[@]}" "$@" >"$workdir/daemon.log" 2>&1 &
	bench_daemon_pid=$!
	for _ in $(seq 150); do
		if ! kill -0 "$bench_daemon_pid" 2>/dev/null; then
			bench_daemon_pid=""
			tail -n 20 "$workdir/daemon.log" >&2
			die "icegate exited during startup"
		fi
		bench_healthy && return 0
		sleep 0.1
	done
	tail -n 20 "$workdir/daemon.log" >&2
	die "icegate did not answer /healthz within 15 s"
}

# bench_stop_daemon: SIGTERM, then SIGKILL after 10 s.
bench_stop_daemon() {
	[ -n "$bench_daemon_pid" ] || return 0
	if kill -TERM "$bench_daemon_pid" 2>/dev/null; then
		for _ in $(seq 100); do
			kill -0 "$bench_daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$bench_daemon_pid" 2>/dev/null || true
	fi
	wait "$bench_daemon_pid" 2>/dev/null || true
	bench_daemon_pid=""
}

# bench_cpu_ticks PID: user + system time of every thread of PID, in clock
# ticks (fields 14 and 15 of /proc/PID/stat, counted after the command name,
# which may hold spaces).
bench_cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || die "process $1 is gone"
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

bench_clock_ticks_per_second() {
	getconf CLK_TCK
}

# bench_now: seconds since the epoch, with nanoseconds.
bench_now() {
	date +%s.%N
}

# bench_value KEY FILE: the value of the line KEY=VALUE in FILE.
bench_value() {
	awk -F= -v key="$1" '$1 == key { print substr($0, length(key) + 2) }' "$2"
}

# bench_summarize: reads numbers, one a line; prints "median min max".
bench_summarize() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "n/a n/a n/a"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6g %.6g %.6g\n", m, v[1], v[NR]
		}'
}

# bench_figure KEY FILES...: "median min max" of KEY over run files.
bench_figure() {
	local key=$1
	shift
	for file in "$@"; do bench_value "$key" "$file"; done | bench_summarize
}

# bench_row LABEL "median min max" [TARGET]: one Markdown table row.
bench_row() {
	local label=$1 median min max
	read -r median min max <<<"$2"
	printf '| %s | %s | %s | %s | %s |\n' "$label" "$median" "$min" "$max" "${3:-}"
}
