# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# aiosmtpd (PyPI), a real SMTP server, for the email tests and for `./scripts/dev`: it accepts
# every message and stores it in a Maildir, where tests read what a recipient would get.
# Source after common.sh and services.sh; like them, functions log to stderr and keep stdout for
# their result. Installed into a venv under $PN_CACHE/tools/aiosmtpd-<version> (made aside and
# renamed into place, so its existence means "installed"); when the cache is not writable, into
# a venv of the run's own.

PN_AIOSMTPD_VERSION=1.4.6

# pn_install_aiosmtpd -> prints the venv's directory. Idempotent.
pn_install_aiosmtpd() { pn_install_pip_tool aiosmtpd "$PN_AIOSMTPD_VERSION"; }

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
