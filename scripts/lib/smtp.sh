# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# aiosmtpd (PyPI), a real SMTP server, for the email tests and for `./scripts/dev`: it accepts
# every message and stores it in a Maildir, where tests read what a recipient would get.
# Source after common.sh and services.sh; like them, functions log to stderr and keep stdout for
# their result. Installed into a venv under $PN_CACHE/tools/aiosmtpd-<version> (made aside and
# renamed into place, so its existence means "installed"); when the cache is not writable, into
# a venv of the run's own.

PN_AIOSMTPD_VERSION=1.4.6

pn__aiosmtpd_ok() { "$1/bin/python" -c 'import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != sys.argv[1])' "$PN_AIOSMTPD_VERSION" 2>/dev/null; }

pn__aiosmtpd_venv() {
  python3 -m venv "$1" >&2 &&
    "$1/bin/python" -m pip install -q --no-cache-dir --disable-pip-version-check \
      "aiosmtpd==$PN_AIOSMTPD_VERSION" >&2
}

# pn_install_aiosmtpd -> prints the venv's directory. Idempotent.
pn_install_aiosmtpd() {
  local dest="$PN_CACHE/tools/aiosmtpd-$PN_AIOSMTPD_VERSION" part tmp
  pn__aiosmtpd_ok "$dest" && { printf '%s\n' "$dest"; return 0; }
  python3 -c 'import venv, ensurepip' 2>/dev/null || pn__apt_install python3-venv || return 1
  # A venv records its own path, so it is built beside where it will live and renamed into
  # place (a concurrent install that wins the rename is as good).
  part="$dest.partial.$$"
  if (umask 022 && mkdir -p "$PN_CACHE/tools") 2>/dev/null && [[ -w "$PN_CACHE/tools" ]]; then
    pn_log "installing aiosmtpd $PN_AIOSMTPD_VERSION into $dest"
    if pn__aiosmtpd_venv "$part"; then
      mv -T "$part" "$dest" 2>/dev/null || true
    fi
    rm -rf "$part"
    pn__aiosmtpd_ok "$dest" && { printf '%s\n' "$dest"; return 0; }
  fi
  # The cache is unusable: a venv for this run only.
  tmp=$(mktemp -d /tmp/powernode-aiosmtpd.XXXXXX) || return 1
  pn_log "installing aiosmtpd $PN_AIOSMTPD_VERSION into $tmp (cache not usable)"
  pn__aiosmtpd_venv "$tmp" && pn__aiosmtpd_ok "$tmp" ||
    { pn_die "could not install aiosmtpd $PN_AIOSMTPD_VERSION from PyPI"; return 1; }
  printf '%s\n' "$tmp"
}

# pn_start_smtp DIR -> prints smtp://127.0.0.1:PORT. Messages land in the Maildir DIR/mail
# (one file per message under DIR/mail/new); the log is DIR/smtp.log.
pn_start_smtp() {
  [[ $# -eq 1 ]] || { pn_die "usage: pn_start_smtp DIR"; return 1; }
  local dir=$1 venv port pid i
  # A Maildir is its three subdirectories (the stdlib makes them only for a path it creates).
  venv=$(pn_install_aiosmtpd) && mkdir -p "$dir/mail/new" "$dir/mail/cur" "$dir/mail/tmp" &&
    port=$(pn_free_port) || return 1
  pn_log "starting aiosmtpd $PN_AIOSMTPD_VERSION on 127.0.0.1:$port ($dir/mail)"
  # -n: no setuid (we may be root); Mailbox: the stdlib Maildir, one file per message.
  (exec "$venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$port" \
    -c aiosmtpd.handlers.Mailbox "$dir/mail" >"$dir/smtp.log" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$dir/smtp.pid"
  for ((i = 0; i < 100; i++)); do
    pn__alive "$pid" || break
    # The greeting ("220 ...") means it is serving.
    [[ "$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && head -c 3 <&3' "$port" 2>/dev/null)" == 220 ]] &&
      { printf 'smtp://127.0.0.1:%s\n' "$port"; return 0; }
    sleep 0.1
  done
  tail -n 20 "$dir/smtp.log" >&2
  pn_die "aiosmtpd did not start (log: $dir/smtp.log)"
}

# pn_stop_smtp DIR : stops the server started with DIR and waits for it; never fails.
pn_stop_smtp() {
  local pid i
  pid=$(cat "$1/smtp.pid" 2>/dev/null || true)
  [[ -n "$pid" ]] && pn__alive "$pid" || return 0
  pn_log "stopping aiosmtpd ($pid)"
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pn__alive "$pid" || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  return 0
}
