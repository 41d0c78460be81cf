#!/bin/sh
# Prepares a runtime image (docker/Dockerfile): installs the Debian packages
# listed in PACKAGE_LIST (one per line, '#' comments) and nothing they merely
# recommend, creates the unprivileged user both images share (uid and gid
# 10001, so the two containers can write the same database volume), and
# creates the state directory and RUN_DIR owned by it.
#   setup-runtime.sh PACKAGE_LIST RUN_DIR
set -eu

if [ "$#" -ne 2 ]; then
	echo "usage: setup-runtime.sh PACKAGE_LIST RUN_DIR" >&2
	exit 2
fi
package_list=$1
run_dir=$2

packages=$(sed -e 's/#.*//' "$package_list" | tr -s ' \t\n' ' ')
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $packages
rm -rf /var/lib/apt/lists/*

groupadd --system --gid 10001 icegate
useradd --system --uid 10001 --gid icegate --home-dir /var/lib/icegate \
	--shell /usr/sbin/nologin icegate
install -d -o icegate -g icegate -m 0700 /var/lib/icegate "$run_dir"
rm -rf "$(dirname "$package_list")"
