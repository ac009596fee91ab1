#!/usr/bin/env bash
# Installs (apt-get) and starts local database engines for the harness where Docker is absent, then prints the
# HARNESS_* exports that point the suite and the CLI at them. Safe to run again: it installs what is missing,
# starts what is stopped, and waits until each engine accepts connections.
#
#   eval "$(scripts/engines.sh)"          # all engines it knows
#   eval "$(scripts/engines.sh postgresql)"
#
# Progress goes to stderr; only the export lines go to stdout. Works as root or with sudo.
# The role and password it creates are local test credentials, reachable only on 127.0.0.1.
set -euo pipefail

HARNESS_USER=harness
HARNESS_PASSWORD=harness-local-only
HARNESS_DATABASE=harness

say() { printf 'engines.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

as_user() {
  local user=$1; shift
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else sudo -u "$user" "$@"; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

wait_for() {
  local what=$1; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what did not accept connections within 60 s"
}

postgresql() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  [ -n "$version" ] || die "no PostgreSQL server found under /usr/lib/postgresql after installing"
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
    say "creating PostgreSQL $version cluster 'main'"
    as_root pg_createcluster "$version" main >&2
  fi
  local port
  port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
  if ! as_root pg_ctlcluster "$version" main status >/dev/null 2>&1; then
    say "starting PostgreSQL $version on port $port"
    as_root pg_ctlcluster "$version" main start >&2
  fi
  wait_for "PostgreSQL" pg_isready -q -h 127.0.0.1 -p "$port"

  as_user postgres psql -q -v ON_ERROR_STOP=1 -p "$port" -d postgres >&2 <<SQL
SELECT format('CREATE ROLE %I LOGIN', '$HARNESS_USER')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$HARNESS_USER') \gexec
ALTER ROLE $HARNESS_USER WITH LOGIN PASSWORD '$HARNESS_PASSWORD';
SELECT format('CREATE DATABASE %I OWNER %I', '$HARNESS_DATABASE', '$HARNESS_USER')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$HARNESS_DATABASE') \gexec
SQL
  wait_for "PostgreSQL (as $HARNESS_USER)" env PGPASSWORD="$HARNESS_PASSWORD" psql -h 127.0.0.1 -p "$port" -U "$HARNESS_USER" -d "$HARNESS_DATABASE" -c 'SELECT 1'
  say "PostgreSQL $version ready on 127.0.0.1:$port"
  echo "export HARNESS_POSTGRESQL='Host=127.0.0.1;Port=$port;Database=$HARNESS_DATABASE;Username=$HARNESS_USER;Password=$HARNESS_PASSWORD'"
  # The server-crash scenario stops this engine the way a crash does (immediate: no checkpoint, crash recovery
  # at the next start) and starts it again.
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo "
  echo "export HARNESS_POSTGRESQL_CRASH='${sudo}pg_ctlcluster $version main stop -m immediate'"
  echo "export HARNESS_POSTGRESQL_START='${sudo}pg_ctlcluster $version main start'"
}

engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(postgresql)
for engine in "${engines[@]}"; do
  case "$engine" in
    postgresql) postgresql ;;
    *) die "unknown engine '$engine' (known: postgresql)" ;;
  esac
done
