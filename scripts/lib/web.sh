# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# Builds the web UI (web/, Sycamore) into web/dist: the app's wasm and JS glue under a
# content-hashed pkg-<hash>/ directory (so a new build is never mixed with a cached old one),
# the static files of web/static, and index.html pointing at that build. The native host serves
# web/dist at / (POWERNODE_WEB_DIR) and the API Worker serves it as its static assets
# (wrangler.toml [assets]). Source after common.sh and cloudflare.sh (for the wasm-bindgen CLI,
# which the Workers use too).

PN_WEB_DIST="$PN_ROOT/web/dist"
# npm's binaryen, never Debian's: Debian's 108 makes a wasm that crashes in Chromium (TOOLING.md).
PN_WEB_BINARYEN_VERSION=132.0.0

pn__web_check_binaryen() {
  [[ "$("$1/node_modules/.bin/wasm-opt" --version 2>/dev/null)" == *"version ${PN_WEB_BINARYEN_VERSION%%.*}"* ]]
}
pn__web_install_binaryen() {
  npm install --prefix "$1" --no-audit --no-fund --loglevel=error "binaryen@$PN_WEB_BINARYEN_VERSION"
}

# pn_web_install_tools : the wasm32 target, the wasm-bindgen CLI (shared with the Workers'
# build) and wasm-opt; exports WASM_BINDGEN_BIN and PN_WEB_WASM_OPT.
pn_web_install_tools() {
  command -v npm >/dev/null || pn__apt_install npm || return 1
  pn_ensure_rust_targets wasm32-unknown-unknown
  pn__cf_atomic_install wasm-bindgen-cli "$PN_CF_WASM_BINDGEN_VERSION" \
    pn__cf_check_wasm_bindgen pn__cf_install_wasm_bindgen &&
    pn__cf_atomic_install binaryen "$PN_WEB_BINARYEN_VERSION" \
      pn__web_check_binaryen pn__web_install_binaryen || return 1
  export WASM_BINDGEN_BIN PN_WEB_WASM_OPT
  WASM_BINDGEN_BIN="$(pn__cf_tool_dir wasm-bindgen-cli "$PN_CF_WASM_BINDGEN_VERSION")/bin/wasm-bindgen"
  PN_WEB_WASM_OPT="$(pn__cf_tool_dir binaryen "$PN_WEB_BINARYEN_VERSION")/node_modules/.bin/wasm-opt"
}

# pn_web_build : builds web/dist (after pn_web_install_tools).
pn_web_build() {
  pn_step "web UI: cargo build --profile web --target wasm32-unknown-unknown, wasm-bindgen"
  local wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/web/powernode-web.wasm" tmp hash
  cargo build --locked -p powernode-web --profile web --target wasm32-unknown-unknown >&2 &&
    [[ -s "$wasm" ]] || { pn_die "the web build produced no wasm"; return 1; }
  tmp=$(mktemp -d) || return 1
  "$WASM_BINDGEN_BIN" --target web --no-typescript --out-name app --out-dir "$tmp" "$wasm" >&2 ||
    { rm -rf "$tmp"; pn_die "wasm-bindgen failed on the web app"; return 1; }
  # -Oz: measured here, 407 -> 335 KB gzip (-18%) for about 15 s (BENCHMARKS.md "Web UI").
  # The features are the ones rustc 1.95 emits for wasm32-unknown-unknown by default.
  "$PN_WEB_WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$tmp/app_bg.wasm" -o "$tmp/app_bg.opt.wasm" >&2 && mv "$tmp/app_bg.opt.wasm" "$tmp/app_bg.wasm" ||
    { rm -rf "$tmp"; pn_die "wasm-opt failed on the web app"; return 1; }
  hash=$(cat "$tmp/app_bg.wasm" "$tmp/app.js" | sha256sum | cut -c1-12)
  rm -rf "$PN_WEB_DIST.new" && mkdir -p "$PN_WEB_DIST.new" &&
    cp -r "$PN_ROOT/web/static/." "$PN_WEB_DIST.new/" &&
    mv "$tmp" "$PN_WEB_DIST.new/pkg-$hash" && chmod 755 "$PN_WEB_DIST.new/pkg-$hash" &&
    sed "s/{{PKG}}/pkg-$hash/g" "$PN_ROOT/web/index.html" >"$PN_WEB_DIST.new/index.html" ||
    { rm -rf "$tmp" "$PN_WEB_DIST.new"; pn_die "could not assemble web/dist"; return 1; }
  rm -rf "$PN_WEB_DIST" && mv "$PN_WEB_DIST.new" "$PN_WEB_DIST"
  pn_log "web UI built: web/dist (pkg-$hash)"
}

# pn_web_size : prints the gzip sizes of the app's wasm and JS (what a browser downloads).
pn_web_size() {
  local pkg wasm js
  pkg=$(find "$PN_WEB_DIST" -maxdepth 1 -type d -name 'pkg-*' | head -1)
  wasm=$(gzip -9 -c "$pkg/app_bg.wasm" | wc -c)
  js=$(gzip -9 -c "$pkg/app.js" | wc -c)
  printf 'web UI: wasm %d KiB raw, %d KiB gzip; JS %d KiB gzip; total %d KiB gzip\n' \
    $(($(stat -c %s "$pkg/app_bg.wasm") / 1024)) $((wasm / 1024)) $((js / 1024)) $(((wasm + js) / 1024))
}
