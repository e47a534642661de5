#!/usr/bin/env bash
# Checks the installed bestpick package as a user would meet it, with nothing from the source
# tree: run by tests/package/run.sh from a temporary copy, with the checkout and the build
# folder hidden (an empty tmpfs over each, in a private mount namespace) when root.
#
# Usage: installed.sh VERSION COMMIT
# Prints one line per check and "N passed, N failed"; exits 1 on any failure.
set -uo pipefail
version=$1
commit=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

# A fresh user: every per-user folder under a temporary HOME.
home=$(mktemp -d)
export HOME=$home
unset XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME BESTPICK_HOME BESTPICK_MODELS BESTPICK_SAMPLE
cd "$home"

lib=/usr/lib/bestpick
# ---- what the package installed ----
for exe in bestpick-app bestpick bestpick-collector; do
  check "/usr/bin/$exe installed and on PATH" test "$(command -v "$exe")" = "/usr/bin/$exe"
done
for f in face_detection_full_range.onnx face_landmark.onnx iris_landmark.onnx LICENSE-Apache-2.0 NOTICE; do
  check "model file $lib/models/$f" test -s "$lib/models/$f"
done
check "sample shoot: 36 photos and their licences" \
  test "$(find "$lib/sample" -name '*.jpg' | wc -l)" = 36 -a -s "$lib/sample/LICENSES"
desktop=$(grep -l '^Exec=bestpick-app' /usr/share/applications/*.desktop 2>/dev/null | head -1)
check "a desktop entry starts bestpick-app" test -n "$desktop"
desktop=${desktop:-/dev/null}
check "desktop entry: passes a folder (%f), offered for folders (inode/directory)" \
  grep -qx 'MimeType=inode/directory;' "$desktop"
check "desktop entry: the 'Open folder with bestpick' action" \
  grep -qx 'Name=Open folder with bestpick' "$desktop"
check "desktop entry: desktop-file-validate finds no error" desktop-file-validate "$desktop"
for size in 16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512; do
  check "icon $size" test -s "/usr/share/icons/hicolor/$size/apps/bestpick-app.png"
done
for page in bestpick bestpick-analyze bestpick-decide bestpick-export bestpick-report; do
  check "man page $page(1)" bash -c "zcat /usr/share/man/man1/$page.1.gz | grep -q '^\.TH'"
done

# ---- versions and help ----
check "bestpick --version: '$(bestpick --version)'" \
  test "$(bestpick --version)" = "bestpick $version (commit $commit)"
check "bestpick-collector --version: '$(bestpick-collector --version)'" \
  test "$(bestpick-collector --version)" = "bestpick-collector $version (commit $commit)"
check "bestpick --help lists the commands" \
  bash -c 'bestpick --help | grep -q "analyze" && bestpick --help | grep -q "export"'
check "bestpick-collector --help" bash -c 'bestpick-collector --help | grep -q serve'

# ---- the desktop app under Xvfb: the installed sample (first: no shoot is recent yet), then a
# folder argument ----
mkdir app-shoot
cp "$lib"/sample/*.jpg app-shoot/
check "the installed app opens the sample shoot and a folder" \
  xvfb-run -a -s "-screen 0 1600x1000x24" node "$here/app.mjs" /usr/bin/bestpick-app "$lib/sample" "$home/app-shoot"

# ---- the CLI on real photos, with the default (per-user) catalog ----
mkdir shoot
cp "$lib"/sample/*.jpg shoot/
bestpick analyze shoot --json >analyze.json 2>analyze.err
status=$?
check "bestpick analyze exits 0 (exit $status; $(tail -1 analyze.err))" test "$status" = 0
check "bestpick analyze: 36 photos, no error, grouped, faces found (installed models)" node -e '
  const r = JSON.parse(require("fs").readFileSync("analyze.json", "utf8"));
  const faces = r.photos.filter((p) => (p.faces ?? []).length > 0).length;
  console.log(`  ${r.photos.length} photos, ${r.errors.length} errors, ${r.groups.length} groups, ${faces} with faces`);
  process.exit(r.photos.length === 36 && r.errors.length === 0 && r.groups.length >= 4 && faces >= 5 ? 0 : 1);'
check "the catalog is in the user's data folder" test -s "$HOME/.local/share/bestpick/catalog.sqlite"

echo "installed: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
