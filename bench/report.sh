# shellcheck shell=bash
# report.sh: sourced by run.sh. Describes the machine and software a
# benchmark ran on (figures without their machine are meaningless) and
# rewrites one marked block of bench/README.md in place.

# cache_value KEY CACHE_FILE: a CMake cache entry, or nothing.
cache_value() {
	[ -r "$2" ] || return 0
	awk -F= -v key="$1" 'index($1, key ":") == 1 { print $2 }' "$2"
}

# environment_describe BUILD_DIR REPO: a Markdown list on standard output.
environment_describe() {
	local repo=$2 cache=$1/CMakeCache.txt
	local cpu build_type compiler sanitize revision wslay
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
	build_type=$(cache_value CMAKE_BUILD_TYPE "$cache")
	compiler=$(cache_value CMAKE_C_COMPILER "$cache")
	sanitize=$(cache_value ICEGATE_SANITIZE "$cache")
	revision=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -n "$(git -C "$repo" status --porcelain 2>/dev/null | head -n 1)" ]; then
		revision="$revision (with uncommitted changes)"
	fi
	wslay=$(dpkg-query -W -f='${Version}' libwslay-dev 2>/dev/null ||
		awk -F'"' '/define WSLAY_VERSION/ { print $2 }' /usr/include/wslay/wslayver.h 2>/dev/null ||
		true)
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- Machine: $(nproc) cores (${cpu:-unknown CPU}), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
	echo "- Kernel: $(uname -sr); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- icegate: $(awk '/^project\(icegate VERSION/ { print $3 }' "$repo/CMakeLists.txt"), revision $revision, build type ${build_type:-RelWithDebInfo}"
	echo "- Compiler: $("${compiler:-cc}" --version 2>/dev/null | head -n 1)"
	echo "- Libraries: libevent $(pkg-config --modversion libevent 2>/dev/null), wslay ${wslay:-?}, jansson $(pkg-config --modversion jansson 2>/dev/null), libjwt $(pkg-config --modversion libjwt 2>/dev/null), SQLite $(pkg-config --modversion sqlite3 2>/dev/null), $(openssl version 2>/dev/null | cut -d' ' -f1-2)"
	if [ "$sanitize" = ON ]; then
		echo "- **Sanitizer build: these figures do not represent a release build.**"
	fi
}

# readme_replace FILE NAME CONTENT_FILE: replaces the lines between
# "<!-- results:NAME begin -->" and "<!-- results:NAME end -->" in FILE.
readme_replace() {
	local file=$1 name=$2 content=$3 tmp
	grep -q "^<!-- results:$name begin -->\$" "$file" ||
		die "$file has no results:$name block"
	tmp=$(mktemp "$file.XXXXXX")
	awk -v begin="<!-- results:$name begin -->" -v end="<!-- results:$name end -->" \
		-v content="$content" '
		$0 == begin { print; while ((getline line < content) > 0) print line; skip = 1; next }
		$0 == end { skip = 0 }
		!skip { print }' "$file" >"$tmp"
	cat "$tmp" >"$file" # keeps the file's owner and mode
	rm -f "$tmp"
}
