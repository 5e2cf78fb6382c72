# shellcheck shell=bash
# Shared by scripts/dev and scripts/test: paths, caches outside the clone, toolchain checks.

PN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export POWERNODE_CACHE="${POWERNODE_CACHE:-/var/cache/powernode}"
export PATH="$HOME/.cargo/bin:$PATH"

# Builds go outside the clone so CI's fresh clones and later sessions reuse them; if the cache
# cannot be created, build inside the clone (slower, never wrong).
if [[ -z "${CARGO_TARGET_DIR:-}" ]]; then
  if mkdir -p "$POWERNODE_CACHE/target" 2>/dev/null; then
    export CARGO_TARGET_DIR="$POWERNODE_CACHE/target"
  else
    export CARGO_TARGET_DIR="$PN_ROOT/target"
  fi
fi

pn_step() { printf '\n==> %s\n' "$*" >&2; }

pn_require_cargo() {
  command -v cargo >/dev/null || { echo "cargo is not installed: this project needs the Rust toolchain (rustup)" >&2; return 1; }
}

# Wasm targets the project builds for; rustup fetches each target's std once.
pn_ensure_rust_targets() {
  local installed missing=()
  installed=$(rustup target list --installed)
  for t in "$@"; do grep -qx "$t" <<<"$installed" || missing+=("$t"); done
  if ((${#missing[@]})); then
    pn_step "rustup target add ${missing[*]}"
    rustup target add "${missing[@]}" >&2
  fi
}
