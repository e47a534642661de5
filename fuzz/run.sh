#!/usr/bin/env bash
# Runs every fuzz target (or those named) for a bounded time each, after seeding the corpora:
# on nightly with AddressSanitizer when `cargo +nightly` works, else on stable with
# `--sanitizer none`. Exits non-zero on any finding (crash, panic, timeout, out-of-memory);
# the input is left in fuzz/artifacts/<target>/. Changes no tracked file: corpora, artifacts
# and the build (fuzz/target, or $CARGO_TARGET_DIR) are ignored by git.
#
# usage: fuzz/run.sh [--seconds N] [TARGET...]    (default: 60 s per target, every target)
set -euo pipefail
FUZZ="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$FUZZ"
SECONDS_EACH=60
TARGETS=()
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --seconds=*) SECONDS_EACH=${1#*=}; shift ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) TARGETS+=("$1"); shift ;;
    esac
done
ALL=(jpeg raw_preview exif heic_meta xmp_merge bundle_archive verify_image seal_open jpeg_differential)
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")

# Its own build directory: the fuzz build's flags (coverage, sanitizer) differ from the
# workspace's. FUZZ_TARGET_DIR wins; else a sibling of $CARGO_TARGET_DIR (so CI keeps it
# where it keeps the workspace build); else fuzz/target.
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
    export CARGO_TARGET_DIR="$FUZZ_TARGET_DIR"
elif [ -n "${CARGO_TARGET_DIR:-}" ]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR%/}-fuzz"
else
    export CARGO_TARGET_DIR="$FUZZ/target"
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz into ${CARGO_HOME:-$HOME/.cargo}/bin" >&2
    cargo install cargo-fuzz --version '^0.13' --locked
fi
if cargo +nightly --version >/dev/null 2>&1; then
    TOOLCHAIN=(+nightly)
    SANITIZER=(--sanitizer address)
else
    TOOLCHAIN=()
    SANITIZER=(--sanitizer none)
fi
echo "run.sh: cargo ${TOOLCHAIN[*]} fuzz ${SANITIZER[*]}, ${SECONDS_EACH} s per target," \
    "build in $CARGO_TARGET_DIR" >&2

dict() {
    case $1 in
    jpeg | jpeg_differential | raw_preview) echo "-dict=$FUZZ/dict/jpeg.dict" ;;
    exif | heic_meta) echo "-dict=$FUZZ/dict/tiff.dict" ;;
    xmp_merge) echo "-dict=$FUZZ/dict/xmp.dict" ;;
    bundle_archive | seal_open) echo "-dict=$FUZZ/dict/tar.dict" ;;
    verify_image) echo "-dict=$FUZZ/dict/jpeg.dict" ;;
    esac
}

"$FUZZ/seed.sh" "${TARGETS[@]}" >/dev/null
# Debug assertions and overflow checks on (cargo fuzz's default without -O); 16 codegen
# units: the build, not the minute of fuzzing, is what a short run spends most on.
BUILD=(fuzz build "${SANITIZER[@]}" --codegen-units 16)
if ! cargo "${TOOLCHAIN[@]}" "${BUILD[@]}" >"$FUZZ/.build.log" 2>&1; then
    tail -n 40 "$FUZZ/.build.log" >&2
    exit 1
fi

failed=()
LOGS="$FUZZ/artifacts/logs"
mkdir -p "$LOGS"
for t in "${TARGETS[@]}"; do
    mkdir -p "$FUZZ/artifacts/$t"
    log="$LOGS/$t.log"
    # A per-run copy of the corpus directory is not needed: libFuzzer only adds files to it.
    if cargo "${TOOLCHAIN[@]}" fuzz run "${SANITIZER[@]}" --codegen-units 16 "$t" "$FUZZ/corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 $(dict "$t") >"$log" 2>&1; then
        status=ok
    else
        status=FINDING
        failed+=("$t")
    fi
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    printf '%-18s %-8s execs=%-9s %s\n' "$t" "$status" "${execs:-?}" "$last"
    if [ "$status" != ok ]; then
        grep -E 'ERROR|panicked|SUMMARY|Test unit written' "$log" | head -n 8 | sed 's/^/    /'
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "run.sh: findings in: ${failed[*]} (inputs in fuzz/artifacts/<target>/, logs in $LOGS)" >&2
    exit 1
fi
echo "run.sh: ${#TARGETS[@]} targets, no findings" >&2
