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

# Timed phases: pn_phase NAME closes the running phase (printing its time) and opens the next;
# pn_phase_summary closes the last and prints every phase's time, so a slow run says where.
PN_PHASES=()
PN_PHASE_NAME=""
PN_PHASE_START=0
pn__phase_close() {
  [[ -n "$PN_PHASE_NAME" ]] || return 0
  local took=$(($(date +%s) - PN_PHASE_START))
  PN_PHASES+=("$(printf '%5d s  %2d:%02d  %s' "$took" $((took / 60)) $((took % 60)) "$PN_PHASE_NAME")")
  printf '<== %s: %d s\n' "$PN_PHASE_NAME" "$took" >&2
  PN_PHASE_NAME=""
}
pn_phase() {
  pn__phase_close
  PN_PHASE_NAME="$*"
  PN_PHASE_START=$(date +%s)
  pn_step "$*"
}
pn_phase_summary() {
  pn__phase_close
  printf 'step times:\n'
  printf '  %s\n' "${PN_PHASES[@]}"
}

pn_require_cargo() {
  command -v cargo >/dev/null || { echo "cargo is not installed: this project needs the Rust toolchain (rustup)" >&2; return 1; }
}

# pn_lint_as_we_build : every later cargo build also lints the workspace's own crates with
# clippy (-D warnings) while it compiles them. clippy-driver stands in for rustc on workspace
# members only (dependencies still go through plain rustc), so one build both lints and makes the
# artifacts: `cargo clippy` would compile every dependency a second time, in check mode, which
# shares nothing with the build the tests need (measured: BENCHMARKS.md "CI time"). The Wasm
# builds of the Workers, the Spin components and the web UI are linted for their targets the
# same way. Set before the first build and keep for all: the wrapper is part of the members'
# fingerprints, so a build without it recompiles them.
pn_lint_as_we_build() {
  local driver
  driver=$(command -v clippy-driver) || { echo "clippy-driver not found: rustup component add clippy" >&2; return 1; }
  export RUSTC_WORKSPACE_WRAPPER="$driver"
  # cargo-clippy's own encoding of `-- -D warnings` for the driver.
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
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
