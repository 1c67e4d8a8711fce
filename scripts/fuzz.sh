#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) in build-fuzz
# and runs each for a bounded time on a copy of its seed corpus, after
# replaying its regression inputs. Installs nothing (scripts/deps.sh does).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET=30] [TARGET...]
#
# TARGET is a name of fuzz/fuzz_NAME.c (default: all of them). Exit status
# is non-zero if any target crashed, leaked, timed out (-timeout=5), ran
# out of memory (-rss_limit_mb=2048) or broke a property; the input that
# did it is printed and copied to fuzz/regressions/NAME/, which every later
# run replays first: fix the bug and commit that file.
#
# Environment: FUZZ_JOBS (build jobs, default nproc), FUZZ_KEEP_CORPUS=1
# keeps build-fuzz/fuzz-work/NAME/corpus between runs (long campaigns grow
# it instead of starting from the seeds), FUZZ_ARGS (more libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

secs=${1:-30}
[ $# -gt 0 ] && shift
case "$secs" in '' | *[!0-9]*) echo "fuzz: SECONDS_PER_TARGET must be a number" >&2; exit 2 ;; esac
all=(codec lineproto payload pipeline geo config api api_params api_extremes promql promql_eval dualprev emergency)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
  [ -f "fuzz/fuzz_$t.c" ] || { echo "fuzz: no target $t (fuzz/fuzz_$t.c)" >&2; exit 2; }
done

command -v clang >/dev/null || { echo "fuzz: clang is missing (scripts/deps.sh installs it)" >&2; exit 1; }

# Dictionaries per target (fuzz/dict/).
declare -A dict=([lineproto]=lineproto.dict [payload]=payload.dict [pipeline]=payload.dict [geo]=geojson.dict
                 [config]=config.dict [api]=http.dict [api_params]=api_params.dict [promql]=promql.dict
                 [promql_eval]=promql.dict)

jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
echo "== fuzz: building build-fuzz (clang, libFuzzer, ASan + UBSan)"
# RelWithDebInfo without NDEBUG: optimised, and the modules' asserts stay on.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DPARKWATCH_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
cmake --build build-fuzz -j"$jobs" --target "${build_targets[@]}"

export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# the targets' scratch directories (fuzz_api's historian, fuzz_config's file)
PARKWATCH_TMP=$(mktemp -d "${PARKWATCH_TMP:-/tmp}/parkwatch-fuzz.XXXXXX")
export PARKWATCH_TMP
trap 'rm -rf "$PARKWATCH_TMP"' EXIT
work=build-fuzz/fuzz-work
failed=()

# Saves the artifacts of a failed run as regression inputs and names them;
# returns 1 if the target failed. A timeout counts only if the input is
# slow again when run alone: -timeout is wall time, and a loaded machine
# (two cores, other jobs) can stall a process for seconds.
save_artifacts() {
  local t=$1 dir=$2 bin=$3 found=0 real=0
  for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*; do
    [ -e "$a" ] || continue
    found=1
    case "$(basename "$a")" in
      timeout-*)
        if "$bin" -timeout=5 -runs=1 "$a" >"$dir/retry.log" 2>&1; then
          echo "fuzz: $t: $root/$a took over 5 s once but not when run alone (a stalled machine?): not kept" >&2
          continue
        fi ;;
    esac
    mkdir -p "fuzz/regressions/$t"
    cp "$a" "fuzz/regressions/$t/"
    echo "fuzz: $t: crashing input: $root/$a (kept as fuzz/regressions/$t/$(basename "$a"))" >&2
    real=1
  done
  if [ $found -eq 0 ]; then
    echo "fuzz: $t: failed without an artifact; see $root/$dir/log" >&2
    return 1
  fi
  [ $real -eq 0 ]
}

for t in "${targets[@]}"; do
  bin=build-fuzz/bin/fuzz_$t
  tdir=$work/$t
  mkdir -p "$tdir"
  rm -f "$tdir"/crash-* "$tdir"/leak-* "$tdir"/timeout-* "$tdir"/oom-* "$tdir"/slow-unit-*
  flags=(-timeout=5 -rss_limit_mb=2048 -detect_leaks=1 -artifact_prefix="$tdir/")
  [ -n "${dict[$t]:-}" ] && flags+=(-dict="fuzz/dict/${dict[$t]}")
  # A decoder trusting a corrupt count allocates big before it fails; one
  # call's allocation past 64 MiB is a finding for it.
  [ "$t" = codec ] && flags+=(-malloc_limit_mb=64)
  # Its inputs are choices, a byte per parameter (up to 24) and raw values:
  # without this libFuzzer grows them from the seeds' 10 bytes only slowly.
  [ "$t" = api_extremes ] && flags+=(-max_len=256)

  # 1. every regression input, once each
  regs=()
  if [ -d "fuzz/regressions/$t" ]; then
    while IFS= read -r -d '' f; do regs+=("$f"); done \
      < <(find "fuzz/regressions/$t" -type f ! -name '*.md' -print0 | sort -z)
  fi
  if [ ${#regs[@]} -gt 0 ]; then
    echo "== fuzz: $t: replaying ${#regs[@]} regression inputs"
    if ! "$bin" "${flags[@]}" -runs=1 "${regs[@]}" >"$tdir/replay.log" 2>&1; then
      tail -n 40 "$tdir/replay.log" >&2
      f=$(grep -o 'Running: .*' "$tdir/replay.log" | tail -n 1 | cut -c10-)
      echo "fuzz: $t: regression input fails: ${f:-see $root/$tdir/replay.log}" >&2
      failed+=("$t")
      continue
    fi
  fi

  # 2. a bounded run on a copy of the seed corpus
  if [ "${FUZZ_KEEP_CORPUS:-0}" != 1 ]; then rm -rf "$tdir/corpus"; fi
  mkdir -p "$tdir/corpus"
  cp -n "fuzz/corpus/$t"/* "$tdir/corpus/" 2>/dev/null || true
  [ ${#regs[@]} -gt 0 ] && cp -n "${regs[@]}" "$tdir/corpus/" 2>/dev/null
  echo "== fuzz: $t: ${secs}s"
  # shellcheck disable=SC2086
  if "$bin" "${flags[@]}" -max_total_time="$secs" -print_final_stats=1 ${FUZZ_ARGS:-} \
      "$tdir/corpus" >"$tdir/log" 2>&1; then
    # the last status line: coverage, features, corpus, speed
    grep -E '^#[0-9]+' "$tdir/log" | tail -n 1 | sed "s/^/fuzz: $t: /"
  else
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_)' "$tdir/log" | head -n 5 >&2 || true
    save_artifacts "$t" "$tdir" "$bin" || failed+=("$t")
  fi
done

echo "fuzz: ${#targets[@]} targets, ${secs}s each"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (logs in $root/$work/NAME/log)" >&2
fi
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
