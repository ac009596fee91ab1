#!/usr/bin/env bash
# Installs (apt-get) and starts local database engines for the harness where Docker is absent, then prints the
# HARNESS_* exports that point the suite and the CLI at them. Safe to run again: it installs what is missing,
# starts what is stopped, and waits until each engine accepts connections.
#
#   eval "$(scripts/engines.sh)"          # all engines it knows: postgresql, mariadb
#   eval "$(scripts/engines.sh postgresql)"
#   scripts/engines.sh check-tools        # not an engine: strace and python3, for `reliability check` and its tests
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

start_postgresql() {
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

start_mariadb() {
  if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    apt_install mariadb-server
  fi
  if ! as_root mariadb-admin --protocol=socket ping >/dev/null 2>&1; then
    say "starting MariaDB"
    as_root service mariadb start >&2
  fi
  wait_for "MariaDB" as_root mariadb-admin --protocol=socket ping
  # Root logs in through the unix socket; the harness user gets a password and 127.0.0.1 only. It may create
  # a database per test run and see lock waits (PROCESS), as the suite needs.
  as_root mariadb --protocol=socket >&2 <<SQL
CREATE USER IF NOT EXISTS '$HARNESS_USER'@'127.0.0.1' IDENTIFIED BY '$HARNESS_PASSWORD';
ALTER USER '$HARNESS_USER'@'127.0.0.1' IDENTIFIED BY '$HARNESS_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$HARNESS_USER'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS \`$HARNESS_DATABASE\` CHARACTER SET utf8mb4;
-- LOAD DATA LOCAL INFILE: the harness's bulk path and bench's hand idiom send the rows from the client. MariaDB
-- allows it by default; said here so a server configured otherwise is set right (the client side is
-- MySqlConnector's AllowLoadLocalInfile, which the MariaDB dialect sets, and mariadb --local-infile=1).
SET GLOBAL local_infile = 1;
SQL
  local port
  port=$(as_root mariadb --protocol=socket -N -e 'SELECT @@port')
  wait_for "MariaDB (as $HARNESS_USER)" mariadb -h 127.0.0.1 -P "$port" -u "$HARNESS_USER" "-p$HARNESS_PASSWORD" -e 'SELECT 1' "$HARNESS_DATABASE"
  say "MariaDB ready on 127.0.0.1:$port"
  echo "export HARNESS_MARIADB='Server=127.0.0.1;Port=$port;Database=$HARNESS_DATABASE;User ID=$HARNESS_USER;Password=$HARNESS_PASSWORD'"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo "
  # A crash is SIGKILL of the server (no shutdown, InnoDB crash recovery at the next start): exactly the server
  # this script started, found by its PID file when the crash happens, and its mysqld_safe parent, which would
  # otherwise restart it; never another MariaDB on the machine. The killed server can take a moment to let go of
  # its files, so the start is tried a few times.
  local pid_file
  pid_file=$(as_root mariadb --protocol=socket -N -e 'SELECT @@pid_file')
  echo "export HARNESS_MARIADB_CRASH='p=\$(${sudo}cat $pid_file) && s=\$(ps -o ppid= -p \$p | tr -d \" \") && { [ \"\$(ps -o comm= -p \$s)\" != mysqld_safe ] || ${sudo}kill -KILL \$s; } && ${sudo}kill -KILL \$p'"
  echo "export HARNESS_MARIADB_START='for try in 1 2 3 4 5; do ${sudo}service mariadb start >/dev/null 2>&1 && ${sudo}mariadb-admin --protocol=socket ping >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'"
}

# reliability check kills an embedded engine's pipeline at each write with strace, and the payments lesson it is
# shown on is in Python: Debian's packages, installed where missing. Nothing to export.
install_check_tools() {
  local missing=()
  command -v strace >/dev/null 2>&1 || missing+=(strace)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  say "check tools ready: $(strace -V | head -1), $(python3 --version 2>&1)"
}

engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(postgresql mariadb)
for engine in "${engines[@]}"; do
  case "$engine" in
    postgresql) start_postgresql ;;
    mariadb) start_mariadb ;;
    check-tools) install_check_tools ;;
    *) die "unknown engine '$engine' (known: postgresql, mariadb; and check-tools)" ;;
  esac
done
