# shellcheck shell=bash
# A real browser for the web UI's end-to-end test: Debian's chromium, driven by npm's
# playwright-core (never `npx playwright install`: its downloads fail here; TOOLING.md).
# Source after common.sh, services.sh and cloudflare.sh (for the atomic tool installs).

PN_PLAYWRIGHT_VERSION=1.65.1

pn__browser_check_playwright() {
  [[ "$(node -p "require('$1/node_modules/playwright-core/package.json').version" 2>/dev/null)" == "$PN_PLAYWRIGHT_VERSION" ]]
}
pn__browser_install_playwright() {
  npm install --prefix "$1" --no-audit --no-fund --loglevel=error "playwright-core@$PN_PLAYWRIGHT_VERSION"
}

# pn_install_browser : chromium (apt) and playwright-core (npm, cached); exports
# PN_PLAYWRIGHT_DIR and PN_CHROMIUM.
pn_install_browser() {
  command -v chromium >/dev/null || pn__apt_install chromium || return 1
  command -v npm >/dev/null || pn__apt_install npm || return 1
  pn__cf_atomic_install playwright-core "$PN_PLAYWRIGHT_VERSION" \
    pn__browser_check_playwright pn__browser_install_playwright || return 1
  export PN_PLAYWRIGHT_DIR PN_CHROMIUM
  PN_PLAYWRIGHT_DIR=$(pn__cf_tool_dir playwright-core "$PN_PLAYWRIGHT_VERSION")
  PN_CHROMIUM=$(command -v chromium)
}

# pn_web_e2e BASE_URL OUT_DIR [LLM_URL] [EMBED_URL] : the web UI's end-to-end flow in headless
# Chromium against a running platform (web/e2e/flow.mjs), screenshots into OUT_DIR. With LLM_URL
# (an OpenAI-compatible server serving `smollm2`), the AI page's steps run too; with EMBED_URL
# (an OpenAI-compatible /v1/embeddings), the knowledge page's.
pn_web_e2e() {
  local samples="${POWERNODE_MEDIA_SAMPLES:-$PN_ROOT/media-runner/tests/media-samples}" llm=() embed=()
  [[ -z "${3:-}" ]] || llm=(--llm "$3")
  [[ -z "${4:-}" ]] || embed=(--embed "$4")
  mkdir -p "$2" &&
    node "$PN_ROOT/web/e2e/flow.mjs" --base "$1" --out "$2" --samples "$samples" "${llm[@]}" "${embed[@]}"
}
