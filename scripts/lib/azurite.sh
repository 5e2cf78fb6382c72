# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# Azurite, Microsoft's Azure Storage emulator (blob service only), for the `azure` storage
# provider's integration tests. Source after common.sh and services.sh; like them, functions
# log to stderr and keep stdout for their result. The tool lands in
# $PN_CACHE/tools/azurite-<version> through cloudflare.sh's atomic installer, so its existence
# (plus a version check) means "installed".

PN_AZURITE_VERSION=3.37.0
# Azurite's well-known development account (documented by Microsoft, the same on every
# machine): test values only, never a real credential. Read by the scripts that source this.
# shellcheck disable=SC2034
PN_AZURITE_ACCOUNT=devstoreaccount1
# shellcheck disable=SC2034
PN_AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# The atomic installer and the Node 22 it installs live in cloudflare.sh (definitions only).
# shellcheck source=scripts/lib/cloudflare.sh
declare -F pn__cf_atomic_install >/dev/null ||
  source "$(dirname "${BASH_SOURCE[0]}")/cloudflare.sh"

pn__azurite_check() {
  [[ "$("$1/node_modules/.bin/azurite-blob" --version 2>/dev/null)" == "$PN_AZURITE_VERSION" ]]
}
pn__azurite_install() {
  npm install --prefix "$1" --no-audit --no-fund --loglevel=error "azurite@$PN_AZURITE_VERSION"
}

# Installs Node 22 (azurite 3.37 declares node >= 22; Debian ships 20) and azurite, and puts
# that Node first on PATH (azurite's bin scripts run `env node`). Idempotent.
pn_install_azurite() {
  command -v npm >/dev/null || pn__apt_install npm || return 1
  pn__cf_atomic_install node "$PN_CF_NODE_MAJOR" pn__cf_check_node pn__cf_install_node &&
    pn__cf_atomic_install azurite "$PN_AZURITE_VERSION" pn__azurite_check pn__azurite_install ||
    return 1
  PATH="$(pn__cf_tool_dir node "$PN_CF_NODE_MAJOR")/node_modules/.bin:$PATH"
  export PATH
}

# pn_start_azurite DIR -> prints the blob endpoint, http://127.0.0.1:PORT/devstoreaccount1
# (path-style: the account is the first path segment). Data and logs stay under DIR.
pn_start_azurite() {
  [[ $# -eq 1 ]] || { pn_die "usage: pn_start_azurite DIR"; return 1; }
  local dir=$1 port pid i bin
  pn_install_azurite && mkdir -p "$dir/data" && port=$(pn_free_port) || return 1
  bin="$(pn__cf_tool_dir azurite "$PN_AZURITE_VERSION")/node_modules/.bin/azurite-blob"
  pn_log "starting azurite $PN_AZURITE_VERSION on 127.0.0.1:$port ($dir)"
  # --skipApiVersionCheck: a client newer than this Azurite still gets served.
  # --disableTelemetry: no network beyond loopback. --loose stays off: unknown headers fail
  # loudly rather than pass here and fail on Azure.
  (exec "$bin" --blobHost 127.0.0.1 --blobPort "$port" --location "$dir/data" \
    --skipApiVersionCheck --disableTelemetry --silent >"$dir/azurite.log" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$dir/azurite.pid"
  for ((i = 0; i < 300; i++)); do
    pn__alive "$pid" || break
    # Any HTTP answer (400 without a container, 403 unsigned) means it is serving.
    [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/$PN_AZURITE_ACCOUNT?comp=list" 2>/dev/null)" != 000 ]] &&
      { printf 'http://127.0.0.1:%s/%s\n' "$port" "$PN_AZURITE_ACCOUNT"; return 0; }
    sleep 0.1
  done
  tail -n 20 "$dir/azurite.log" >&2
  pn_die "azurite did not start (log: $dir/azurite.log)"
}

# pn_stop_azurite DIR : stops the Azurite started with DIR and waits for it; never fails.
pn_stop_azurite() { pn__cf_stop "$1/azurite.pid"; }
