#!/usr/bin/env bash
# Stand up a real NetBox 4.3.7 with the real Hedgehog NetBox Plugin (HNP) on
# this machine, for the real-NetBox suite (`make test-real`, docs/real-netbox.md).
#
#   scripts/real-netbox.sh up      install what is missing, start everything
#   scripts/real-netbox.sh down    stop NetBox, its RQ workers and Redis
#   scripts/real-netbox.sh purge   down, then drop the databases and delete the state
#   scripts/real-netbox.sh env     print the environment the Go suite reads
#   scripts/real-netbox.sh status  what runs
#   scripts/real-netbox.sh restart-web VARIANT   a new web server (ends stuck requests)
#   scripts/real-netbox.sh manage VARIANT ARGS   NetBox's manage.py, as NetBox's user
#
# Two NetBox instances run side by side from one virtual environment, one
# PostgreSQL cluster (Debian's) and one Redis:
#   stock    HNP exactly as published (flowtest 705549aa), plus the stand-in
#            module for the one file its published tree lacks
#   patched  the same with scripts/real-netbox/patch-blank applied: blank=True on
#            three fabric JSON fields, so a PATCH of custom fields is accepted
# Each has its own web server (gunicorn) and RQ worker (only the worker sends
# webhooks). The only database-level change is ALTER COLUMN ... SET DEFAULT for
# the columns migration 0021 adds without declaring them (hypothesis 3).
#
# Sources: NETBOX_SRC and HNP_SRC (a .tar.gz path or URL). Defaults: the copies
# in ../shared/real-netbox/ when present, else the upstream archives.
# State: HNP_REAL_NETBOX_HOME (default /var/cache/hnp-gitops/real-netbox as
# root, else ~/.cache/hnp-gitops/real-netbox).
#
# Confinement: HNP's fabric post-save signal treats a fabric's gitops_directory
# as a path on the NetBox host and renames every YAML file below it to
# *.archived (for "/", every YAML file of the machine; seen here, see
# docs/real-netbox.md). So, run as root, the script runs NetBox (web, worker,
# manage.py) as the unprivileged user HNP_REAL_NETBOX_USER (default
# hnp-real-netbox), which can write only its run/, media/ and home/ folders,
# with Debian's Python (root's own Python may not be readable by that user).
# Run as another user, NetBox runs as that user: never point a fabric of this
# stack at a directory that exists on the machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/scripts/real-netbox
if [ "$(id -u)" = 0 ]; then
  RUN_USER=${HNP_REAL_NETBOX_USER:-hnp-real-netbox}
  STATE=${HNP_REAL_NETBOX_HOME:-/var/cache/hnp-gitops/real-netbox}
  PY=${PYTHON:-/usr/bin/python3}
else
  RUN_USER=""
  STATE=${HNP_REAL_NETBOX_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/hnp-gitops/real-netbox}
  PY=${PYTHON:-python3}
fi
NETBOX_VERSION=4.3.7
HNP_COMMIT=705549aa70a15bad73cb6e36f3a824c00b11d8a3
NETBOX_SRC=${NETBOX_SRC:-}
HNP_SRC=${HNP_SRC:-}
[ -n "$NETBOX_SRC" ] || { NETBOX_SRC=$ROOT/../shared/real-netbox/netbox-$NETBOX_VERSION.tar.gz;
  [ -f "$NETBOX_SRC" ] || NETBOX_SRC=https://github.com/netbox-community/netbox/archive/refs/tags/v$NETBOX_VERSION.tar.gz; }
[ -n "$HNP_SRC" ] || { HNP_SRC=$ROOT/../shared/real-netbox/hh-netbox-plugin-flowtest.tar.gz;
  [ -f "$HNP_SRC" ] || HNP_SRC=https://github.com/afewell-hh/hh-netbox-plugin/archive/$HNP_COMMIT.tar.gz; }
PG_PORT=${HNP_REAL_PG_PORT:-5432}
REDIS_PORT=${HNP_REAL_REDIS_PORT:-16437}
declare -A WEB_PORT=([stock]=${HNP_REAL_STOCK_PORT:-18437} [patched]=${HNP_REAL_PATCHED_PORT:-18438})
declare -A REDIS_DB=([stock]=0 [patched]=2)
VARIANTS=(stock patched)
# A NetBox webhook with this secret reaches the service under test.
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

log() { echo "real-netbox: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- machine packages ---------------------------------------------------

need_packages() {
  local missing=()
  command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v patch >/dev/null || missing+=(patch)
  command -v curl >/dev/null || missing+=(curl)
  if [ -n "$RUN_USER" ]; then
    [ -x "$PY" ] || missing+=(python3)
    "$PY" -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
  fi
  [ ${#missing[@]} = 0 ] && return
  command -v apt-get >/dev/null || die "install ${missing[*]} (no apt-get here)"
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ---- sources ------------------------------------------------------------

# fetch SRC DEST: copy or download a .tar.gz, and refuse it unless its
# SHA-256 is listed in real-netbox/SHA256SUMS.
fetch() {
  case $1 in
    http://* | https://*) log "downloading $1"; curl -fsSL --retry 3 -o "$2" "$1" ;;
    *) [ -f "$1" ] || die "no archive at $1 (set NETBOX_SRC / HNP_SRC)"; cp "$1" "$2" ;;
  esac
  local sum; sum=$(sha256sum "$2" | cut -d' ' -f1)
  grep -q "^$sum " "$HERE/SHA256SUMS" ||
    { rm -f "$2"; die "$1: SHA-256 $sum is not in $HERE/SHA256SUMS; check the archive's provenance, then add it"; }
}

# unpack ARCHIVE DEST: the archive's single top folder becomes DEST.
unpack() {
  local tmp; tmp=$(mktemp -d "$STATE/unpack.XXXX")
  tar -xzf "$1" -C "$tmp"
  local top=("$tmp"/*)
  [ ${#top[@]} = 1 ] || die "$1 has more than one top folder"
  rm -rf "$2"; mv "${top[0]}" "$2"; rmdir "$tmp"
}

sources() {
  mkdir -p "$STATE/src"
  if [ ! -d "$STATE/src/netbox" ]; then
    fetch "$NETBOX_SRC" "$STATE/src/netbox.tar.gz"
    unpack "$STATE/src/netbox.tar.gz" "$STATE/src/netbox"
  fi
  if [ ! -d "$STATE/src/hnp" ]; then
    fetch "$HNP_SRC" "$STATE/src/hnp.tar.gz"
    unpack "$STATE/src/hnp.tar.gz" "$STATE/src/hnp"
  fi
  [ -d "$STATE/src/hnp/netbox_hedgehog" ] || die "HNP archive has no netbox_hedgehog/"
}

# ---- Python -------------------------------------------------------------

venv() {
  local stamp=$STATE/venv/.hnp-gitops-stamp want
  want=$(cat "$STATE/src/netbox/requirements.txt" "$HERE/requirements-hnp.txt" | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
  log "creating the Python environment (NetBox requirements + HNP imports)"
  rm -rf "$STATE/venv"
  "$PY" -m venv "$STATE/venv"
  "$STATE/venv/bin/pip" install -q --upgrade pip wheel
  # psycopg[c] would compile against libpq-dev; the binary wheel is enough here.
  sed 's/^psycopg\[c,pool\]/psycopg[pool]/' "$STATE/src/netbox/requirements.txt" > "$STATE/requirements-netbox.txt"
  "$STATE/venv/bin/pip" install -q -r "$STATE/requirements-netbox.txt" -r "$HERE/requirements-hnp.txt"
  echo "$want" > "$stamp"
}

# ---- one NetBox tree per variant ----------------------------------------

tree() {
  local v=$1 dir=$STATE/$1
  local stamp=$dir/.hnp-gitops-stamp want
  want=$( (sha256sum "$STATE/src/netbox.tar.gz" "$STATE/src/hnp.tar.gz" "$HERE"/stand-ins/*/* "$HERE"/patch-blank/* "$0") | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want-$v" ] && return
  log "$v: laying out NetBox with HNP"
  rm -rf "$dir/netbox"; mkdir -p "$dir"
  cp -a "$STATE/src/netbox/netbox" "$dir/netbox"
  # As HNP's Dockerfile.hedgehog does: the package goes into NetBox's source folder.
  cp -a "$STATE/src/hnp/netbox_hedgehog" "$dir/netbox/netbox_hedgehog"
  local hnp=$dir/netbox/netbox_hedgehog
  # Stand-ins only for modules absent from the published tree.
  local f rel
  while IFS= read -r f; do
    rel=${f#"$HERE/stand-ins/"}
    [ -e "$hnp/$rel" ] && die "stand-in $rel would replace a file of HNP's"
    cp "$f" "$hnp/$rel"
  done < <(find "$HERE/stand-ins" -name '*.py' | sort)
  if [ "$v" = patched ]; then
    (cd "$dir/netbox" && patch -s -p1 < "$HERE/patch-blank/fabric-json-blank.patch")
    cp "$HERE/patch-blank/0029_fabric_json_fields_blank.py" "$hnp/migrations/"
  fi
  configuration "$v" > "$dir/netbox/netbox/configuration.py"
  mkdir -p "$dir/netbox/media"
  [ -z "$RUN_USER" ] || chown -R "$RUN_USER:$RUN_USER" "$dir/netbox/media"
  echo "$want-$v" > "$stamp"
}

configuration() {
  local v=$1
  cat <<EOF
# Written by scripts/real-netbox.sh for the real-NetBox suite; not for production.
ALLOWED_HOSTS = ['*']
DATABASES = {'default': {'NAME': 'hnp_real_$v', 'USER': 'hnp_real', 'PASSWORD': '$(secret pg)',
  'HOST': '127.0.0.1', 'PORT': '$PG_PORT', 'CONN_MAX_AGE': 300}}
REDIS = {
  'tasks': {'HOST': '127.0.0.1', 'PORT': $REDIS_PORT, 'DATABASE': ${REDIS_DB[$v]}, 'SSL': False},
  'caching': {'HOST': '127.0.0.1', 'PORT': $REDIS_PORT, 'DATABASE': $(( ${REDIS_DB[$v]} + 1 )), 'SSL': False},
}
SECRET_KEY = '$(secret django)'
PLUGINS = ['netbox_hedgehog']
# NetBox's default: a webhook that fails is not retried.
RQ_RETRY_MAX = 0
LOGIN_REQUIRED = True
LOGGING = {'version': 1, 'disable_existing_loggers': False,
  'handlers': {'console': {'class': 'logging.StreamHandler'}},
  'root': {'handlers': ['console'], 'level': 'WARNING'}}
EOF
}

# secret NAME: a random value made once per state folder.
secret() {
  local f=$STATE/secrets/$1
  if [ ! -s "$f" ]; then
    mkdir -p "$STATE/secrets"; chmod 700 "$STATE/secrets"
    "$PY" -c 'import secrets; print(secrets.token_hex(25))' > "$f"
  fi
  cat "$f"
}

# ---- services -----------------------------------------------------------

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

postgres() {
  local cluster; cluster=$(pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p {print $1" "$2; exit}')
  [ -n "$cluster" ] || die "no PostgreSQL cluster on port $PG_PORT (pg_lsclusters)"
  # shellcheck disable=SC2086
  pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p && $4 == "online" {f=1} END {exit !f}' ||
    { log "starting PostgreSQL $cluster"; $SUDO pg_ctlcluster $cluster start; }
  local pw; pw=$(secret pg)
  as_postgres psql -qtAX -p "$PG_PORT" -c "SELECT 1 FROM pg_roles WHERE rolname='hnp_real'" | grep -q 1 ||
    as_postgres psql -q -p "$PG_PORT" -c "CREATE ROLE hnp_real LOGIN CREATEDB PASSWORD '$pw'"
  for v in "${VARIANTS[@]}"; do
    as_postgres psql -qtAX -p "$PG_PORT" -c "SELECT 1 FROM pg_database WHERE datname='hnp_real_$v'" | grep -q 1 ||
      as_postgres psql -q -p "$PG_PORT" -c "CREATE DATABASE hnp_real_$v OWNER hnp_real"
  done
}

redis() {
  mkdir -p "$STATE/run" "$STATE/redis"
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return
  [ -z "$RUN_USER" ] || chown "$RUN_USER:$RUN_USER" "$STATE/redis"
  as_netbox redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' \
    --dir "$STATE/redis" --pidfile "$STATE/run/redis.pid" --logfile "$STATE/run/redis.log"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
  die "Redis did not start (see $STATE/run/redis.log)"
}

# as_netbox CMD...: run a NetBox process as RUN_USER (when root), with its own
# HOME. setpriv execs in place, so a recorded pid is the process's own.
PRIV=()
[ -z "$RUN_USER" ] || PRIV=(env "HOME=$STATE/home" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups)
as_netbox() { "${PRIV[@]}" "$@"; }

# run_user: the unprivileged user and the only folders it may write.
# HNP's signal also lays out a local copy of each fabric's directory under
# /var/lib/hedgehog/fabrics/; when it cannot, its error handler writes a
# 21-character status into a 20-character column and the fabric's create or
# update ends in a 500 (hypothesis 7). The folder is the run user's.
run_user() {
  mkdir -p "$STATE/run" "$STATE/home"
  local owner=${RUN_USER:-$(id -un)}
  if [ -n "$RUN_USER" ]; then
    id "$RUN_USER" >/dev/null 2>&1 ||
      useradd --system --user-group --no-create-home --home-dir "$STATE/home" --shell /usr/sbin/nologin "$RUN_USER"
    chmod 755 "$STATE"
    chown -R "$RUN_USER:$RUN_USER" "$STATE/run" "$STATE/home"
  fi
  [ -w /var/lib/hedgehog ] && [ -z "$RUN_USER" ] && return
  $SUDO mkdir -p /var/lib/hedgehog
  $SUDO chown -R "$owner:" /var/lib/hedgehog
}

manage() { local v=$1; shift; (cd "$STATE/$v/netbox" && as_netbox "$STATE/venv/bin/python" manage.py "$@"); }

migrate() {
  local v=$1
  log "$v: migrating"
  : >"$STATE/run/$v-migrate.log"
  # HNP does not migrate an empty database: 0019 adds two columns 0018 already
  # added, and 0024 adds an index 0021 already made. Migrate up to each, record
  # it as applied without running it (neither holds anything else), go on.
  local m
  for m in 0019_add_remaining_gitops_fields 0024_fix_syncop_index_name_length; do
    as_postgres psql -qtAX -p "$PG_PORT" -d "hnp_real_$v" -c \
      "SELECT 1 FROM django_migrations WHERE app='netbox_hedgehog' AND name='$m'" 2>/dev/null | grep -q 1 && continue
    { manage "$v" migrate --no-input -v 0 netbox_hedgehog "$(previous_migration "$v" "$m")" &&
      manage "$v" migrate --no-input -v 0 --fake netbox_hedgehog "$m"; } >>"$STATE/run/$v-migrate.log" 2>&1 ||
      { tail -n 30 "$STATE/run/$v-migrate.log" >&2; die "$v: migrate around $m failed"; }
  done
  manage "$v" migrate --no-input -v 0 >>"$STATE/run/$v-migrate.log" 2>&1 ||
    { tail -n 30 "$STATE/run/$v-migrate.log" >&2; die "$v: migrate failed"; }
  # Hypothesis 3: migration 0021 adds NOT NULL columns that the models never
  # declare; Django drops the defaults it used to fill existing rows, so every
  # INSERT through the ORM fails. Give them database defaults, nothing more.
  as_postgres psql -q -p "$PG_PORT" -d "hnp_real_$v" <<'SQL'
ALTER TABLE netbox_hedgehog_gitrepository ALTER COLUMN direct_push_enabled SET DEFAULT false;
ALTER TABLE netbox_hedgehog_gitrepository ALTER COLUMN push_branch SET DEFAULT '';
ALTER TABLE netbox_hedgehog_gitrepository ALTER COLUMN commit_author_name SET DEFAULT '';
ALTER TABLE netbox_hedgehog_gitrepository ALTER COLUMN commit_author_email SET DEFAULT '';
ALTER TABLE netbox_hedgehog_hedgehogfabric ALTER COLUMN gitops_directory_status SET DEFAULT 'not_initialized';
ALTER TABLE netbox_hedgehog_hedgehogfabric ALTER COLUMN directory_init_error SET DEFAULT '';
SQL
}

# bootstrap VARIANT: the users, tokens and permissions of bootstrap.py. It is
# idempotent; up runs it after a migration and whenever bootstrap.py changed.
bootstrap() {
  local v=$1
  log "$v: users and permissions"
  RN_ADMIN_PASSWORD=$(secret admin-password) RN_ADMIN_TOKEN=$(secret admin-token | cut -c1-40) \
  RN_SERVICE_PASSWORD=$(secret service-password) RN_SERVICE_TOKEN=$(secret service-token | cut -c1-40) \
    manage "$v" shell --no-imports -c "exec(open('$HERE/bootstrap.py').read())" >>"$STATE/run/$v-migrate.log" 2>&1 ||
    { tail -n 30 "$STATE/run/$v-migrate.log" >&2; die "$v: bootstrap failed"; }
}

# previous_migration VARIANT NAME: the HNP migration NAME depends on.
previous_migration() {
  sed -n "s/.*('netbox_hedgehog', '\([0-9][^']*\)').*/\1/p" "$STATE/$1/netbox/netbox_hedgehog/migrations/$2.py" | head -n 1
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  local v=$1 run=$STATE/run
  if ! running "$run/$v-web.pid"; then
    (cd "$STATE/$v/netbox" && as_netbox "$STATE/venv/bin/python" -m gunicorn --daemon --pid "$run/$v-web.pid" \
      --bind "127.0.0.1:${WEB_PORT[$v]}" --workers 2 --threads 4 --timeout 120 --graceful-timeout 5 \
      --error-logfile "$run/$v-web.log" --capture-output netbox.wsgi)
  fi
  if ! running "$run/$v-worker.pid"; then
    # exec: the recorded pid is the worker's, and no shell keeps our stdout open
    # (a caller piping `up` into another command would otherwise wait forever).
    (cd "$STATE/$v/netbox" && exec nohup "${PRIV[@]}" "$STATE/venv/bin/python" manage.py rqworker high default low) \
      >"$run/$v-worker.log" 2>&1 </dev/null &
    echo $! >"$run/$v-worker.pid"
  fi
}

wait_ready() {
  local v=$1 url=http://127.0.0.1:${WEB_PORT[$1]}
  for _ in $(seq 300); do
    if curl -fsS -H "Authorization: Token $(secret admin-token | cut -c1-40)" "$url/api/status/" 2>/dev/null |
      grep -q '"rq-workers-running": *[1-9]'; then
      log "$v: NetBox $NETBOX_VERSION with HNP at $url (RQ worker running)"
      return
    fi
    sleep 0.2
  done
  tail -n 20 "$STATE/run/$v-web.log" "$STATE/run/$v-worker.log" >&2 || true
  die "$v: NetBox did not become ready at $url"
}

# stop_pid PIDFILE: TERM, then after 10 s KILL, the process and its children
# (a gunicorn worker whose thread is stuck in HNP's save loop never exits by
# itself, even when its master is gone).
stop_pid() {
  local f=$1
  running "$f" || { rm -f "$f"; return; }
  local pid children; pid=$(cat "$f")
  children=$(pgrep -P "$pid" || true)
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # shellcheck disable=SC2086
  kill -9 "$pid" $children 2>/dev/null || true
  rm -f "$f"
}

# ---- commands -----------------------------------------------------------

cmd_up() {
  local t0=$SECONDS
  need_packages
  mkdir -p "$STATE/run"
  run_user
  sources
  venv
  postgres
  redis
  for v in "${VARIANTS[@]}"; do tree "$v"; done
  for v in "${VARIANTS[@]}"; do
    local mstamp=$STATE/$v/.migrated
    if [ ! -f "$mstamp" ] || [ "$(cat "$mstamp")" != "$(cat "$STATE/$v/.hnp-gitops-stamp")" ]; then
      migrate "$v"; cat "$STATE/$v/.hnp-gitops-stamp" > "$mstamp"
      rm -f "$STATE/$v/.bootstrapped"
    fi
    local bwant; bwant=$(sha256sum < "$HERE/bootstrap.py" | cut -c1-16)
    if [ "$(cat "$STATE/$v/.bootstrapped" 2>/dev/null)" != "$bwant" ]; then
      bootstrap "$v"; echo "$bwant" > "$STATE/$v/.bootstrapped"
    fi
    start "$v"
  done
  for v in "${VARIANTS[@]}"; do wait_ready "$v"; done
  log "up in $((SECONDS - t0)) s; state in $STATE"
}

cmd_down() {
  for v in "${VARIANTS[@]}"; do
    stop_pid "$STATE/run/$v-worker.pid"
    stop_pid "$STATE/run/$v-web.pid"
  done
  stop_pid "$STATE/run/redis.pid"
}

cmd_purge() {
  cmd_down
  if [ -d "$STATE" ] && command -v psql >/dev/null; then
    for v in "${VARIANTS[@]}"; do
      as_postgres psql -q -p "$PG_PORT" -c "DROP DATABASE IF EXISTS hnp_real_$v" 2>/dev/null || true
    done
    as_postgres psql -q -p "$PG_PORT" -c "DROP ROLE IF EXISTS hnp_real" 2>/dev/null || true
  fi
  rm -rf "$STATE"
  [ ! -d /var/lib/hedgehog ] || $SUDO rm -rf /var/lib/hedgehog
  log "purged $STATE and /var/lib/hedgehog"
}

cmd_env() {
  [ -d "$STATE/secrets" ] || die "not set up: run scripts/real-netbox.sh up"
  echo "export HNP_REAL_NETBOX_VARIANTS='${VARIANTS[*]}'"
  for v in "${VARIANTS[@]}"; do
    local V=${v^^}
    echo "export HNP_REAL_NETBOX_${V}_URL=http://127.0.0.1:${WEB_PORT[$v]}"
    echo "export HNP_REAL_NETBOX_${V}_HNP_DIR=$STATE/$v/netbox/netbox_hedgehog"
  done
  echo "export HNP_REAL_NETBOX_ADMIN_USER=admin"
  echo "export HNP_REAL_NETBOX_ADMIN_PASSWORD=$(secret admin-password)"
  echo "export HNP_REAL_NETBOX_ADMIN_TOKEN=$(secret admin-token | cut -c1-40)"
  echo "export HNP_REAL_NETBOX_SERVICE_TOKEN=$(secret service-token | cut -c1-40)"
  echo "export HNP_REAL_NETBOX_HNP_ARCHIVE=$STATE/src/hnp.tar.gz"
  echo "export HNP_REAL_NETBOX_HOME=$STATE"
}

cmd_status() {
  for v in "${VARIANTS[@]}"; do
    for p in web worker; do
      if running "$STATE/run/$v-$p.pid"; then echo "$v $p: running"; else echo "$v $p: stopped"; fi
    done
  done
  if running "$STATE/run/redis.pid"; then echo "redis: running"; else echo "redis: stopped"; fi
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  purge) cmd_purge ;;
  env) cmd_env ;;
  status) cmd_status ;;
  restart-web) shift; [ -n "${1:-}" ] || die "usage: $0 restart-web stock|patched"
    stop_pid "$STATE/run/$1-web.pid"; start "$1"; wait_ready "$1" ;;
  manage) shift; [ -n "${1:-}" ] || die "usage: $0 manage stock|patched ARGS..."; manage "$@" ;;
  *) echo "usage: $0 up|down|purge|env|status|manage VARIANT ARGS..." >&2; exit 2 ;;
esac
