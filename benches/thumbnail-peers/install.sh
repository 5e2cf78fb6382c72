#!/usr/bin/env bash
# Installs the thumbnail-benchmark peers; idempotent, and quick when already installed.
#   - ImageMagick 6 from Debian (scripts/lib/services.sh: pn_install_imagemagick6);
#   - sharp (with its prebuilt libvips, an npm package) with `npm ci` from the committed lock
#     file into $CACHE/node-<hash of package.json + lock>.
# Prints two lines on stdout: the path of ImageMagick 6's convert, then the node dir (its
# node_modules holds sharp). Logs to stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/lib/services.sh"
cache=${PN_THUMBNAIL_PEERS_CACHE:-${POWERNODE_CACHE:-/var/cache/powernode}/thumbnail-peers}
log() { printf '[thumbnail-peers] %s\n' "$*" >&2; }

convert_bin=$(pn_install_imagemagick6)

command -v node >/dev/null || { log "ERROR: node (>= 20.9) is required"; exit 1; }
key=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dest="$cache/node-$key"
# The dir only appears through an atomic mv, so its existence means "complete".
if [[ ! -d "$dest/node_modules/sharp" ]]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.node.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$here/package.json" "$here/package-lock.json" "$tmp/"
  log "npm ci into $dest"
  (cd "$tmp" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error --cache "$cache/npm-cache") >&2
  mv -T "$tmp" "$dest" 2>/dev/null || [[ -d "$dest/node_modules/sharp" ]]
  # Installs for older lock files are never used again.
  find "$cache" -maxdepth 1 -name 'node-*' ! -name "node-$key" -exec rm -rf {} +
fi
printf '%s\n%s\n' "$convert_bin" "$dest"
