#!/usr/bin/env bash
# The packages, built and used as a user would:
#   1. `./dev package` builds the .deb and the .rpm (skipped with --no-build, to check again
#      what was built);
#   2. the .rpm's file list is compared with the .deb's; the .deb is installed with apt-get
#      (sudo when not root);
#   3. tests/package/installed.sh checks the installed files, `--version` of the CLI and the
#      collector, `bestpick analyze` on a copy of the installed sample shoot, and the app under
#      Xvfb (no folder: the installed sample; a folder argument), with the checkout and the
#      build folder hidden so that nothing can come from them;
#   4. the package is purged, and nothing it installed, nor anything made outside the user's
#      data folder while it ran, may be left under /usr, /opt or /etc.
# Needs: Debian/Ubuntu with apt-get and dpkg, rpm (to list the .rpm), node, xvfb-run, tauri-driver, WebKitWebDriver,
# desktop-file-validate (./dev test installs them). A missing tool is an error, never a skip.
# Prints one line per check and "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
target=${CARGO_TARGET_DIR:-$ROOT/target}

build=1
case "${1:-}" in
  --no-build) build=0 ;;
  "") ;;
  *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)

missing=()
for tool in apt-get dpkg rpm node xvfb-run tauri-driver WebKitWebDriver desktop-file-validate git gzip; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "package test: missing tools: ${missing[*]} (./dev test installs them)" >&2
  exit 1
fi

# shellcheck source=lib.sh
source tests/package/lib.sh

tracked_before=$(git status --porcelain --untracked-files=no)
[ "$build" = 1 ] && ./dev package
debs=("$target"/release/bundle/deb/bestpick_*.deb)
rpms=("$target"/release/bundle/rpm/bestpick-*.rpm)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ] || [ ${#rpms[@]} -ne 1 ] || [ ! -f "${rpms[0]}" ]; then
  echo "package test: expected one .deb and one .rpm in $target/release/bundle, found: ${debs[*]} ${rpms[*]}" >&2
  exit 1
fi
deb=${debs[0]}
rpm=${rpms[0]}
echo "packages: $deb ($(du -k "$deb" | cut -f1) KiB), $rpm ($(du -k "$rpm" | cut -f1) KiB)"
check "the build changed no tracked file" test "$(git status --porcelain --untracked-files=no)" = "$tracked_before"

# The .rpm holds what the .deb holds (same bundler input; an RPM is not installed on Debian).
deb_files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $NF}' | sed -E 's|^\.?/?|/|' | sort)
rpm_files=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" 2>/dev/null |
  awk '$1 !~ /^d/ {print $2}' | sort)
check "the .rpm holds the files of the .deb ($(wc -l <<<"$deb_files") files)" \
  test -n "$deb_files" -a "$rpm_files" = "$deb_files"

version=$(dpkg-deb -f "$deb" Version)
commit=$(git rev-parse --short HEAD)
package=$(dpkg-deb -f "$deb" Package)

if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
  echo "package test: $package is installed already; purging it first"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package"
fi
stamp=$(mktemp)
sleep 1
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb"
check "dpkg says $package $version is installed" \
  test "$(dpkg-query -W -f='${Status} ${Version}' "$package")" = "install ok installed $version"
installed_files=$(dpkg -L "$package" | sort)

# The installed checks run from a copy, with the checkout and the build folder hidden.
work=$(mktemp -d)
cp tests/package/installed.sh tests/package/lib.sh tests/package/app.mjs "$work/"
installed_ok=0
if [ "$(id -u)" -eq 0 ]; then
  hide="mount -t tmpfs none '$ROOT'"
  case "$target" in "$ROOT"/*) ;; *) hide="$hide && mount -t tmpfs none '$target'" ;; esac
  unshare --mount bash -c "$hide && exec bash '$work/installed.sh' '$version' '$commit'" && installed_ok=1
else
  echo "package test: not root, so the checkout is not hidden from the installed programs"
  bash "$work/installed.sh" "$version" "$commit" && installed_ok=1
fi
check "the installed package works with no source tree" test "$installed_ok" = 1

# ---- purge: nothing may be left ----
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package"
check "dpkg no longer lists $package as installed" bash -c \
  "! dpkg-query -W -f='\${Status}' '$package' 2>/dev/null | grep -q 'ok installed'"
left=()
while IFS= read -r f; do
  # Folders shared with other packages (/usr/bin, /usr/share/man/man1, …) stay.
  [ -e "$f" ] && [ ! -d "$f" ] && left+=("$f")
done <<<"$installed_files"
for d in /usr/lib/bestpick /usr/share/doc/"$package"; do
  [ -e "$d" ] && left+=("$d")
done
while IFS= read -r f; do
  [ -n "$f" ] && left+=("$f")
done < <(find /usr /opt /etc -xdev -newer "$stamp" -iname '*bestpick*' 2>/dev/null)
check "purge leaves nothing under /usr, /opt, /etc${left:+: ${left[*]}}" test ${#left[@]} -eq 0
if [ -f /usr/share/applications/mimeinfo.cache ]; then
  check "the folder association is gone from mimeinfo.cache" \
    bash -c '! grep -q bestpick /usr/share/applications/mimeinfo.cache'
fi
rm -rf "$work" "$stamp"

echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
