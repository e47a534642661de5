#!/usr/bin/env bash
# Stops what tests/services/up.sh started and removes its temporary folder: the folder is
# BESTPICK_SERVICES_DIR (exported by up.sh) or the first argument.
set -uo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=${1:-${BESTPICK_SERVICES_DIR:-}}
if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then
  echo "services: nothing to stop (no BESTPICK_SERVICES_DIR)" >&2
  exit 0
fi
case "$(basename "$DIR")" in
  bestpick-services.*) ;;
  *) echo "services: $DIR is not a folder of up.sh; left alone" >&2; exit 1 ;;
esac

if [ -f "$DIR/s3s-fs.pid" ]; then
  pid=$(cat "$DIR/s3s-fs.pid")
  kill "$pid" 2>/dev/null && for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
fi
if [ -f "$DIR/pg/data/postmaster.pid" ]; then
  as_pg=()
  [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u bestpick-test --)
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
fi
rm -rf "$DIR"
