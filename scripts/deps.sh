#!/usr/bin/env bash
# Installs what Parkwatch needs to build, test and run, from Debian's packages,
# and only what is missing. Idempotent and non-interactive; the README's two
# commands both run it first.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  librocksdb-dev libsnappy-dev libjansson-dev libcmocka-dev
  libmosquitto-dev mosquitto
  libgeos-dev libproj-dev proj-bin
  libmicrohttpd-dev wrk openssl curl python3-jsonschema
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
