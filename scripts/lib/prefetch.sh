# shellcheck shell=bash
# Installs every tool and service binary that scripts/test needs, in one go, so scripts/test can
# run it in the background while cargo compiles: apt, pip and npm downloads wait on the network,
# not the CPU, and the two `cargo install`s fill the cores that the main build leaves idle in its
# single-crate tails and links. Each installer is the same idempotent one the steps call later
# (they then return at once and export their paths). Source after common.sh, services.sh,
# seaweedfs.sh, azurite.sh, smtp.sh, cloudflare.sh, web.sh, browser.sh, spin.sh and fuzz.sh.

# Debian packages the test run uses, installed by one apt-get call (one `apt-get update`).
pn__prefetch_apt() {
  local want=() cmd pkg pair
  for pair in curl:curl unzip:unzip redis-server:redis-server ffmpeg:ffmpeg \
    exiftool:libimage-exiftool-perl chromium:chromium npm:npm; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null || want+=("$pkg")
  done
  python3 -c 'import venv, ensurepip' 2>/dev/null || want+=(python3-venv)
  ((${#want[@]} == 0)) || pn__apt_install "${want[@]}"
}

# pn_prefetch_tools : everything, in dependency order; fails on the first failure.
pn_prefetch_tools() {
  pn__prefetch_apt &&
    pn_install_postgres &&
    pn_install_seaweedfs &&
    pn_install_azurite &&
    pn_install_aiosmtpd >/dev/null &&
    pn_install_ai_models >/dev/null &&
    pn_install_schemathesis >/dev/null &&
    pn_spin_install_wasmtime &&
    pn_install_browser &&
    pn_web_install_tools &&
    pn_cf_install_tools
}
