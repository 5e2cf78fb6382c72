#!/usr/bin/env bash
# Installs the queue-benchmark peers; idempotent, and quick when already installed.
#   - Sidekiq (and Ruby) from Debian's ruby-sidekiq, system-wide through apt;
#   - BullMQ, ioredis and graphile-worker from npm, with `npm ci` from the committed lock file,
#     into $CACHE/node-<hash of package.json + lock> (npm's own cache in $CACHE/npm-cache).
# Prints that node dir on stdout (its node_modules is what run.sh puts on NODE_PATH); logs to stderr.
# The servers (redis-server, Postgres) are not peers: start them with scripts/lib/services.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${PN_BENCH_PEERS_CACHE:-${POWERNODE_CACHE:-/var/cache/powernode}/bench-peers}
log() { printf '[queue-peers] %s\n' "$*" >&2; }

if ! dpkg-query -W -f='${Status}' ruby-sidekiq 2>/dev/null | grep -q 'ok installed'; then
  log "apt-get install ruby-sidekiq"
  # apt's stdout goes to stderr: stdout is for the result.
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ruby-sidekiq; } >&2
fi

command -v node >/dev/null || { log "ERROR: node (>= 20) is required"; exit 1; }
key=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dest="$cache/node-$key"
# The dir only appears through an atomic mv, so its existence means "complete".
if [[ ! -d "$dest/node_modules" ]]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.node.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$here/package.json" "$here/package-lock.json" "$tmp/"
  log "npm ci into $dest"
  (cd "$tmp" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error --cache "$cache/npm-cache") >&2
  mv -T "$tmp" "$dest" 2>/dev/null || [[ -d "$dest/node_modules" ]]
  # Installs for older lock files are never used again.
  find "$cache" -maxdepth 1 -name 'node-*' ! -name "node-$key" -exec rm -rf {} +
fi
printf '%s\n' "$dest"
