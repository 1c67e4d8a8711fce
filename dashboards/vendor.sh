#!/usr/bin/env bash
# Vendors the page's npm libraries into vendor/ (committed, so a clean clone
# serves the dashboard without npm at run time): npm ci here (the versions
# in package-lock.json), then copies each library's dist files and LICENSE.
# Run it after changing package.json (npm install first, to update the lock).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
rm -rf vendor
mkdir -p vendor/leaflet vendor/uplot

# Leaflet: the ES module build (the page imports it), the minified UMD build,
# the stylesheet and its images.
cp node_modules/leaflet/dist/leaflet-src.esm.js node_modules/leaflet/dist/leaflet.js \
   node_modules/leaflet/dist/leaflet.css vendor/leaflet/
cp -r node_modules/leaflet/dist/images vendor/leaflet/
cp node_modules/leaflet/LICENSE vendor/leaflet/LICENSE

# uPlot: the ES module build, the minified IIFE build and the stylesheet.
cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.iife.min.js \
   node_modules/uplot/dist/uPlot.min.css vendor/uplot/
cp node_modules/uplot/LICENSE vendor/uplot/LICENSE

# What was vendored, for the record (and for a reviewer to compare).
node -e '
const fs = require("fs");
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
const out = {};
for (const name of ["leaflet", "uplot"]) {
  const p = lock.packages["node_modules/" + name];
  out[name] = { version: p.version, integrity: p.integrity, license: p.license };
}
fs.writeFileSync("vendor/VERSIONS.json", JSON.stringify(out, null, 2) + "\n");
'
sums=$( (cd vendor && find . -type f | sort | xargs sha256sum) )
printf '%s\n' "$sums" >vendor/SHA256SUMS
echo "vendor.sh: $(find vendor -type f | wc -l) files in vendor/ ($(du -sh vendor | cut -f1))"
