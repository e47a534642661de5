#!/usr/bin/env bash
# Stops or starts one server of tests/services/up.sh in place (same port, same data), for the
# collector's fault tests (crates/bestpick-collector/tests/services_faults.rs):
#   tests/services/ctl.sh stop-postgres | start-postgres | stop-s3 | start-s3
# stop-postgres is `pg_ctl stop -m immediate` (no shutdown checkpoint; the next start
# recovers), stop-s3 is kill -9. Reads what up.sh exported: BESTPICK_SERVICES_DIR,
# BESTPICK_DATABASE_URL, BESTPICK_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
TOOLS=${BESTPICK_TOOLS:-$HOME/.cache/bestpick-tools}
DIR=${BESTPICK_SERVICES_DIR:?run eval \"\$(tests/services/up.sh)\" first}
case "$(basename "$DIR")" in
  bestpick-services.*) ;;
  *) echo "services: $DIR is not a folder of up.sh" >&2; exit 1 ;;
esac

as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u bestpick-test --)
port_of() { # URL -> the port after the last ':' of its authority
  local authority=${1#*://}
  authority=${authority%%/*}
  echo "${authority##*:}"
}

wait_port() { # PORT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

case "${1:-}" in
  stop-postgres)
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null
    ;;
  start-postgres)
    PG_PORT=$(port_of "${BESTPICK_DATABASE_URL:?}")
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg -c fsync=off" start >/dev/null
    ;;
  stop-s3)
    pid=$(cat "$DIR/s3s-fs.pid")
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    ;;
  start-s3)
    S3_PORT=$(port_of "${BESTPICK_S3_ENDPOINT:?}")
    setsid "$TOOLS/bin/s3s-fs" --host 127.0.0.1 --port "$S3_PORT" \
      --access-key "${AWS_ACCESS_KEY_ID:?}" --secret-key "${AWS_SECRET_ACCESS_KEY:?}" \
      "$DIR/s3" >>"$DIR/s3s-fs.log" 2>&1 < /dev/null &
    echo $! > "$DIR/s3s-fs.pid"
    wait_port "$S3_PORT" 30 || { tail -5 "$DIR/s3s-fs.log" >&2; exit 1; }
    ;;
  *)
    echo "usage: $0 stop-postgres | start-postgres | stop-s3 | start-s3" >&2
    exit 2
    ;;
esac
