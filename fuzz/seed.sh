#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ (gitignored) with seeds: the licensed photos in the repository's
# fixtures, ../shared/photos when present (never committed), the minimized regression inputs
# of earlier findings, and synthetic inputs from seeds.py. Files are named by content hash, so
# running it again adds nothing twice; what the fuzzer added to a corpus is kept.
#
# usage: fuzz/seed.sh [TARGET...]   (default: every target)
set -euo pipefail
FUZZ="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$FUZZ")"
CORPUS="${CORPUS:-$FUZZ/corpus}"
ALL=(jpeg raw_preview exif heic_meta xmp_merge bundle_archive verify_image seal_open jpeg_differential)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")

SOURCES=("$ROOT/tests/fixtures")
for d in "$ROOT"/crates/*/tests/fixtures; do [ -d "$d" ] && SOURCES+=("$d"); done
[ -d "$ROOT/../shared/photos" ] && SOURCES+=("$ROOT/../shared/photos")

# copy TARGET MAX_KB MAX_FILES PATTERN...: the smallest matching files first.
copy() {
    local target=$1 max_kb=$2 max_files=$3
    shift 3
    local expr=() p
    for p in "$@"; do expr+=(-o -iname "$p"); done
    mkdir -p "$CORPUS/$target"
    local list
    list=$(find "${SOURCES[@]}" -type f -size -"${max_kb}"k \( "${expr[@]:1}" \) \
        -printf '%s\t%p\n' 2>/dev/null | sort -n | cut -f2-)
    [ -n "$list" ] || return 0
    printf '%s\n' "$list" | sed -n "1,${max_files}p" |
        while IFS= read -r f; do
            cp "$f" "$CORPUS/$target/$(sha1sum "$f" | cut -c1-40)"
        done
}

for t in "${TARGETS[@]}"; do
    case $t in
    jpeg) copy jpeg 256 120 '*.jpg' '*.jpeg' ;;
    jpeg_differential) copy jpeg_differential 128 60 '*.jpg' '*.jpeg' ;;
    raw_preview) copy raw_preview 1024 40 '*.nef' '*.cr2' '*.cr3' '*.raf' '*.rw2' '*.dng' '*.arw' '*.orf' '*.tif' ;;
    exif) copy exif 128 80 '*.jpg' '*.tif' '*.dng' '*.png' '*.webp' '*.heic' '*.nef' '*.cr2' '*.rw2' '*.raf' ;;
    heic_meta) copy heic_meta 1024 10 '*.heic' '*.heif' '*.avif' ;;
    verify_image) copy verify_image 32 30 '*.jpg' '*.png' ;;
    xmp_merge) copy xmp_merge 64 20 '*.xmp' ;;
    bundle_archive | seal_open) mkdir -p "$CORPUS/$t" ;;
    *) echo "seed.sh: unknown target $t" >&2; exit 2 ;;
    esac
    # Minimized inputs of earlier findings, kept as regression tests.
    for d in "$ROOT"/crates/*/tests/fixtures/fuzz/"$t"; do
        if [ -d "$d" ]; then find "$d" -type f -exec cp {} "$CORPUS/$t/" \; ; fi
    done
done
if command -v python3 >/dev/null; then
    python3 "$FUZZ/seeds.py" "$ROOT" "$CORPUS" "${TARGETS[@]}"
else
    echo "seed.sh: no python3, synthetic seeds skipped" >&2
fi
for t in "${TARGETS[@]}"; do
    printf '%-18s %5d seeds\n' "$t" "$(find "$CORPUS/$t" -type f | wc -l)"
done
