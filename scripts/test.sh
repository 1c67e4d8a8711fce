#!/usr/bin/env bash
# Builds Parkwatch and runs every test twice: in the normal build and in a
# build with AddressSanitizer and UndefinedBehaviorSanitizer, and builds it
# once in Release, so that CI sees the warnings a production build sees.
# This is what CI runs (.ci/run). Exit status is non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
export PARKWATCH_TMP=${PARKWATCH_TMP:-$(mktemp -d /tmp/parkwatch-test.XXXXXX)}
trap 'rm -rf "$PARKWATCH_TMP"' EXIT

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== build (Release: what a production build sees, -O3 warnings included)"
cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-rel -j"$jobs"

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPARKWATCH_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan + UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j"$jobs")

echo "== build (ThreadSanitizer) and the threaded tests under it"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
  "-DCMAKE_CXX_FLAGS=-fsanitize=thread" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread" >/dev/null
cmake --build build-tsan -j"$jobs" --target parkd parksim parkctl test_alerting test_token \
  test_historian test_views test_api test_api_limits test_delivery test_alarms test_ingest \
  test_promql_eval test_promql_catalog test_events
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 die_after_fork=0 suppressions=$PWD/tests/tsan.supp"
(cd build-tsan && ctest --output-on-failure -j"$jobs" \
  -R '^(test_alerting|test_token|test_historian|test_views|test_api|test_api_limits|test_delivery|test_alarms|test_ingest|test_promql_eval|test_promql_catalog|test_events)$')

echo "== fuzzing (bounded)"
./scripts/fuzz.sh 20
