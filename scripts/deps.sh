#!/usr/bin/env bash
# Installs what Parkwatch needs to build, test and run, from Debian's packages,
# and only what is missing. Idempotent and non-interactive; the README's two
# commands both run it first.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  librocksdb-dev libsnappy-dev libjansson-dev libcmocka-dev libre2-dev
  libmosquitto-dev mosquitto
  libgeos-dev libproj-dev proj-bin
  libmicrohttpd-dev wrk openssl curl python3-jsonschema
  libcurl4-gnutls-dev
  prometheus
  clang libclang-rt-14-dev
  chromium nodejs fonts-wqy-microhei
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  if [ -n "$sudo" ]; then
    command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The browser tests' npm packages (tests/browser: playwright-core, which
# drives Debian's chromium), as package-lock.json pins them; skipped when
# node_modules already matches the lock. Debian's nodejs comes without npm
# (NodeSource's has it). A failure is fatal in CI (CI=true), where the
# browser test must run; elsewhere it only warns, and the test skips.
browser=tests/browser
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm
fi
if ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.package-lock.stamp" 2>/dev/null; then
  echo "deps: npm ci in $browser" >&2
  if (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error); then
    cp "$browser/package-lock.json" "$browser/node_modules/.package-lock.stamp"
  elif [ "${CI:-}" = "true" ]; then
    echo "deps: npm ci in $browser failed" >&2
    exit 1
  else
    echo "deps: npm ci in $browser failed; the browser test will be skipped" >&2
  fi
fi
