#!/usr/bin/env bash
# Installs the Debian packages of tests/system-packages.txt that are missing, when this runs as
# root with apt-get; otherwise says which tests will skip. Never fails the build: a machine
# without a package mirror runs the suite with those tests skipped (pytest -ra shows the reason).
set -u
list="$(dirname "$0")/system-packages.txt"
wanted=$(sed -e 's/#.*//' "$list" | tr -s ' \n' ' ')
missing=""
for package in $wanted; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "note: missing system packages:$missing (install them as root; the tests that need them skip)"
    exit 0
fi
echo "installing system packages for the tests:$missing"
export DEBIAN_FRONTEND=noninteractive
timeout 300 apt-get update -qq >/dev/null \
    && timeout 900 apt-get install -y -qq $missing >/dev/null \
    || echo "note: apt-get could not install$missing; the tests that need them skip"
exit 0
