#!/usr/bin/env bash
# Builds icegate's patched coturn: the TURN server that reads its REST API
# secrets and credential revocations from icegate's SQLite database.
#   turn/build.sh [BUILD_DIR]        BUILD_DIR defaults to build/turn
# The source is Debian's coturn 4.6.1 orig tarball, fetched with apt-get
# through a private apt configuration (the system's apt setup is not touched),
# checked against the pinned SHA-256 and the .dsc, then patched with
# turn/patches/*.patch in order. Binaries land in BUILD_DIR/bin. A stamp keyed
# on the tarball, the patches and this script makes an unchanged rebuild a
# no-op. Needs: apt-get, debian-archive-keyring, build-essential, pkg-config,
# libevent-dev, libssl-dev, libsqlite3-dev, patch.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$repo/build/turn}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

version=4.6.1
debian_version=4.6.1-1
tarball=coturn_${version}.orig.tar.gz
# Pinned here as well as read from the .dsc: a .dsc that changes under the
# same version is noticed instead of trusted.
tarball_sha256=8fba86e593ed74adc46e002e925cccff2819745371814f42465fbe717483f1d8

patches=("$repo"/turn/patches/*.patch)
[ -e "${patches[0]}" ] || {
	echo "turn/build.sh: no patches in turn/patches" >&2
	exit 1
}

stamp_key=$({
	echo "$tarball_sha256"
	sha256sum "$0" "${patches[@]}" | cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)
stamp=$build_dir/.stamp
tools=(turnserver turnadmin turnutils_uclient turnutils_peer turnutils_stunclient
	turnutils_rfc5769check turnutils_natdiscovery turnutils_oauth)

up_to_date() {
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_key" ] || return 1
	local tool
	for tool in "${tools[@]}"; do
		[ -x "$build_dir/bin/$tool" ] || return 1
	done
}
if up_to_date; then
	echo "turn/build.sh: coturn $version is up to date in $build_dir/bin"
	exit 0
fi
rm -f "$stamp"

download=$build_dir/download
mkdir -p "$download"

# The expected SHA-256 of the tarball according to the .dsc next to it.
dsc_sha256() {
	awk -v name="$tarball" '
		/^Checksums-Sha256:/ { in_list = 1; next }
		/^[^ ]/ { in_list = 0 }
		in_list && $3 == name { print $1 }' "$download/coturn_${debian_version}.dsc"
}

tarball_verified() {
	[ -f "$download/$tarball" ] && [ -f "$download/coturn_${debian_version}.dsc" ] || return 1
	[ "$(dsc_sha256)" = "$tarball_sha256" ] || return 1
	[ "$(sha256sum "$download/$tarball" | cut -d' ' -f1)" = "$tarball_sha256" ]
}

fetch_source() {
	local apt_dir=$build_dir/apt
	rm -rf "$apt_dir"
	mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	: >"$apt_dir/sources.list"
	: >"$apt_dir/status"
	cat >"$apt_dir/sources.list.d/debian-bookworm-src.sources" <<-EOF
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	local apt_options=(
		-o "Dir::Etc::SourceList=$apt_dir/sources.list"
		-o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
		-o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::State::status=$apt_dir/status"
		-o "Dir::Cache=$apt_dir/cache"
		-o "APT::Sandbox::User=$(id -un)"
	)
	echo "turn/build.sh: fetching coturn $debian_version from Debian's source archive"
	apt-get "${apt_options[@]}" -qq update
	# Debian's coturn_4.6.1-1.debian.tar.xz is gone from the archive (404) and
	# apt-get then exits non-zero; only the .dsc and the orig tarball matter,
	# and they are verified below.
	(cd "$download" && apt-get "${apt_options[@]}" -qq source --download-only "coturn=$debian_version") \
		>"$build_dir/apt-source.log" 2>&1 ||
		echo "turn/build.sh: apt-get source failed for part of the package (see apt-source.log); checking the .dsc and the tarball"
}

if ! tarball_verified; then
	rm -f "$download"/coturn_*
	fetch_source
	if [ ! -f "$download/$tarball" ] || [ ! -f "$download/coturn_${debian_version}.dsc" ]; then
		echo "turn/build.sh: the .dsc or $tarball was not downloaded" >&2
		exit 1
	fi
	if [ "$(dsc_sha256)" != "$tarball_sha256" ]; then
		echo "turn/build.sh: the .dsc lists a different SHA-256 for $tarball than the pinned one" >&2
		exit 1
	fi
	if ! tarball_verified; then
		echo "turn/build.sh: $tarball does not match its SHA-256" >&2
		exit 1
	fi
fi

source_dir=$build_dir/coturn-$version
rm -rf "$source_dir"
tar -xzf "$download/$tarball" -C "$build_dir"
[ -d "$source_dir" ] || {
	echo "turn/build.sh: $tarball did not unpack into coturn-$version" >&2
	exit 1
}

for patch_file in "${patches[@]}"; do
	echo "turn/build.sh: applying $(basename "$patch_file")"
	if ! patch -d "$source_dir" -p1 --forward --batch --quiet <"$patch_file"; then
		echo "turn/build.sh: $(basename "$patch_file") does not apply" >&2
		exit 1
	fi
done

# coturn's configure takes TURN_NO_* from the environment: SQLite only, no
# other user database, no Prometheus, no systemd notification. The flags are
# Debian's hardening defaults.
echo "turn/build.sh: configuring and building"
(
	cd "$source_dir"
	export TURN_NO_PQ=1 TURN_NO_MYSQL=1 TURN_NO_MONGO=1 TURN_NO_HIREDIS=1
	export TURN_NO_PROMETHEUS=1 TURN_NO_SYSTEMD=1
	export CFLAGS="-O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE"
	export LDFLAGS="-pie -Wl,-z,relro -Wl,-z,now"
	./configure --prefix=/usr >"$build_dir/configure.log" 2>&1 || {
		cat "$build_dir/configure.log" >&2
		exit 1
	}
	make -j2 >"$build_dir/make.log" 2>&1 || {
		tail -50 "$build_dir/make.log" >&2
		exit 1
	}
)

mkdir -p "$build_dir/bin"
for tool in "${tools[@]}"; do
	rm -f "$build_dir/bin/$tool"
	if [ "$tool" = turnadmin ]; then
		# turnadmin is turnserver run under another name.
		ln -s turnserver "$build_dir/bin/turnadmin"
	else
		cp "$source_dir/bin/$tool" "$build_dir/bin/$tool"
	fi
done
echo "$stamp_key" >"$stamp"
echo "turn/build.sh: coturn $version built in $build_dir/bin"
