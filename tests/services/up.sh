#!/usr/bin/env bash
# Starts throwaway servers for the collector's deployment-store test
# (crates/bestpick-collector/tests/services.rs): a PostgreSQL 15 cluster and an S3-compatible
# server (s3s-fs, a real server over a folder), both on 127.0.0.1 on free ports, with their
# state in one temporary folder. Prints `export NAME=VALUE` lines on stdout, for
#   eval "$(tests/services/up.sh)"
# and tests/services/down.sh stops them and removes the folder (it reads
# BESTPICK_SERVICES_DIR, one of the exported names). Progress goes to stderr.
#
# s3s-fs is installed with cargo once, under $HOME/.cache/bestpick-tools (0.14.1: later
# versions need a newer rustc). PostgreSQL runs as a non-root user: as root, the system user
# bestpick-test is created for it.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
TOOLS=${BESTPICK_TOOLS:-$HOME/.cache/bestpick-tools}
S3S_VERSION=0.14.1
BUCKET=bestpick-test

say() { printf 'services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL 15 in $PG_BIN (Debian: apt-get install postgresql-15)"

# s3s-fs, built once and kept.
S3S="$TOOLS/bin/s3s-fs"
if ! { [ -x "$S3S" ] && "$S3S" --version 2>/dev/null | grep -q "$S3S_VERSION"; }; then
  say "installing s3s-fs $S3S_VERSION into $TOOLS (once; about 1.5 min on 2 cores)"
  # In cargo's own temporary folder, not the workspace's target folder.
  env -u CARGO_TARGET_DIR cargo install s3s-fs --version "$S3S_VERSION" --features binary --locked \
    --root "$TOOLS" >&2
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # PORT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

random_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/bestpick-services.XXXXXX")
chmod 755 "$DIR"
cleanup_on_error() { BESTPICK_SERVICES_DIR=$DIR "$(dirname "$0")/down.sh" >&2 || true; }
trap cleanup_on_error ERR

# PostgreSQL: initdb and the server refuse to run as root.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id bestpick-test >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin bestpick-test
  fi
  as_pg=(runuser -u bestpick-test --)
fi
mkdir -p "$DIR/pg"
PG_PASSWORD=$(random_hex)
printf '%s\n' "$PG_PASSWORD" > "$DIR/pg/pwfile"
[ "$(id -u)" -eq 0 ] && chown -R bestpick-test "$DIR/pg"
chmod 700 "$DIR/pg"
PG_PORT=$(free_port)
say "PostgreSQL on 127.0.0.1:$PG_PORT"
"${as_pg[@]}" "$PG_BIN/initdb" -D "$DIR/pg/data" -U bestpick --pwfile="$DIR/pg/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >"$DIR/pg/initdb.log" 2>&1 \
  || { cat "$DIR/pg/initdb.log" >&2; die "initdb failed"; }
rm -f "$DIR/pg/pwfile"
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg -c fsync=off" start >&2 \
  || { cat "$DIR/pg/server.log" >&2; die "PostgreSQL did not start"; }
"${as_pg[@]}" "$PG_BIN/createdb" -h "$DIR/pg" -p "$PG_PORT" -U bestpick bestpick

# s3s-fs over a folder; a bucket is a folder in it.
S3_PORT=$(free_port)
S3_KEY=bestpick-$(random_hex)
S3_SECRET=$(random_hex)
mkdir -p "$DIR/s3/$BUCKET"
say "s3s-fs on 127.0.0.1:$S3_PORT"
setsid "$S3S" --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_KEY" --secret-key "$S3_SECRET" \
  "$DIR/s3" >"$DIR/s3s-fs.log" 2>&1 < /dev/null &
echo $! > "$DIR/s3s-fs.pid"
wait_port "$S3_PORT" 30 || { cat "$DIR/s3s-fs.log" >&2; die "s3s-fs did not start"; }

cat <<EXPORTS
export BESTPICK_SERVICES_DIR=$DIR
export BESTPICK_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export BESTPICK_S3_BUCKET=$BUCKET
export AWS_ACCESS_KEY_ID=$S3_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET
export BESTPICK_DATABASE_URL=postgres://bestpick:$PG_PASSWORD@127.0.0.1:$PG_PORT/bestpick
EXPORTS
