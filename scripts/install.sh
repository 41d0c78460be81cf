#!/usr/bin/env bash
# Installs a built icegate on this host for systemd (etc/systemd/):
#   scripts/install.sh [BUILD_DIR]        BUILD_DIR defaults to build
# Build first with scripts/build.sh. With DESTDIR set, everything lands under
# that directory instead of / (for packaging and tests) and no user is created.
#
#   /usr/local/bin/icegate, /usr/local/bin/icegatectl
#   /usr/local/libexec/icegate/turnserver     the patched coturn (Debian's
#                                             /usr/bin/turnserver is left alone)
#   /usr/local/share/icegate/web/             demo pages and JavaScript client
#   /etc/icegate/signaling.conf               only when absent: etc/signaling.conf
#                                             plus where the units keep things
#   /etc/icegate/turnserver.conf              only when absent
#   /etc/systemd/system/icegate.service, icegate-turn.service
#   the system user and group icegate, which both services run as
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:-build}
root=${DESTDIR:-}

for program in "$build_dir/icegate" "$build_dir/icegatectl" "$build_dir/turn/bin/turnserver"; do
	[ -x "$program" ] || {
		echo "install: $program is missing: build first (scripts/build.sh $build_dir)" >&2
		exit 1
	}
done
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
	echo "install: run as root, or set DESTDIR" >&2
	exit 1
fi

if [ -z "$root" ] && ! getent passwd icegate >/dev/null; then
	useradd --system --user-group --home-dir /var/lib/icegate --no-create-home \
		--shell /usr/sbin/nologin icegate
fi
# The configuration may hold the JWT secret: readable by root and the service.
config_group=root
[ -z "$root" ] && config_group=icegate

install -d -m 0755 "$root/usr/local/bin" "$root/usr/local/libexec/icegate" \
	"$root/usr/local/share/icegate" "$root/etc/systemd/system" "$root/etc/icegate"
install -m 0755 "$build_dir/icegate" "$build_dir/icegatectl" "$root/usr/local/bin/"
install -m 0755 "$build_dir/turn/bin/turnserver" "$root/usr/local/libexec/icegate/"
rm -rf "$root/usr/local/share/icegate/web"
cp -R web "$root/usr/local/share/icegate/web"
chmod -R u=rwX,go=rX "$root/usr/local/share/icegate/web"
install -m 0644 etc/systemd/icegate.service etc/systemd/icegate-turn.service \
	"$root/etc/systemd/system/"

# An operator's configuration survives upgrades.
if [ ! -e "$root/etc/icegate/signaling.conf" ]; then
	{
		cat etc/signaling.conf
		cat <<-CONF

			## Installation (scripts/install.sh): where the systemd units keep things.
			db_path = /var/lib/icegate/icegate.db
			web_root = /usr/local/share/icegate/web
			turnserver_conf = /etc/icegate/turnserver.conf
		CONF
	} >"$root/etc/icegate/signaling.conf.new"
	chmod 0640 "$root/etc/icegate/signaling.conf.new"
	chgrp "$config_group" "$root/etc/icegate/signaling.conf.new"
	mv "$root/etc/icegate/signaling.conf.new" "$root/etc/icegate/signaling.conf"
fi
if [ ! -e "$root/etc/icegate/turnserver.conf" ]; then
	install -m 0640 -g "$config_group" etc/turnserver.conf "$root/etc/icegate/turnserver.conf"
fi

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
fi
echo "install: installed into ${root:-/}; next: edit /etc/icegate/signaling.conf, then"
echo "install:   systemctl enable --now icegate icegate-turn"
