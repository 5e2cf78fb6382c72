# shellcheck shell=bash
# The platform on a real Spin: `spin up` of spin.toml's components against a Postgres and a
# Redis, for `POWERNODE_RUNTIME=spin ./scripts/dev` and the Spin pass of `./scripts/test`.
#
# Spin cannot be installed from the registries these machines reach (it ships as a release
# archive from Fermyon's GitHub), so everything here needs a `spin` binary that is already on
# PATH or named by POWERNODE_SPIN_BIN; `pn_spin_find_bin` says plainly when there is none.
#
# Source it after common.sh, services.sh and spin.sh.

# The Spin CLI to run: POWERNODE_SPIN_BIN, else `spin` on PATH. Prints its path.
pn_spin_find_bin() {
  local bin=${POWERNODE_SPIN_BIN:-}
  if [[ -n "$bin" ]]; then
    [[ -x "$bin" ]] || { pn_spin_log "POWERNODE_SPIN_BIN=$bin is not an executable file"; return 1; }
  else
    bin=$(command -v spin 2>/dev/null) || return 1
  fi
  printf '%s\n' "$bin"
}

# Why there is no Spin here, and how to get one.
pn_spin_not_installed() {
  cat >&2 <<'MSG'
[spin] No Spin CLI: neither POWERNODE_SPIN_BIN nor `spin` on PATH.
[spin] Install it from Fermyon's release (https://github.com/spinframework/spin/releases, or
[spin] `curl -fsSL https://spinframework.dev/downloads/install.sh | bash`), then put it on PATH
[spin] or set POWERNODE_SPIN_BIN=/path/to/spin. None can be installed from the package
[spin] registries, so this script does not try.
MSG
}

# Whether SPIN has the trigger-cron plugin (spin.toml's [[trigger.cron]]).
pn_spin_has_cron_plugin() {
  "$1" plugins list --installed 2>/dev/null | grep -q '^trigger-cron '
}

# pn_spin_manifest OUT MODE: writes the manifest to run to OUT, from spin.toml with absolute
# component sources. MODE `api` keeps the API component alone (the contract tests drive the
# queue by hand, so a consumer would race them); `all` keeps the consumer and its Redis trigger,
# and its cron trigger when `PN_SPIN_CRON=plugin`.
pn_spin_manifest() {
  local out=$1 mode=$2
  python3 - "$PN_ROOT/spin.toml" "$PN_ROOT" "$mode" "${PN_SPIN_CRON:-}" >"$out" <<'PY'
import re, sys
text, root, mode, cron = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], sys.argv[4]
text = text.replace('source = "target/spin/', f'source = "{root}/target/spin/')
# Tables split at their headers; each is kept or dropped whole.
blocks = re.split(r"(?m)^(?=\[)", text)
def keep(block):
    header = block.split("\n", 1)[0].strip()
    consumer = 'component = "consumer"' in block or header.startswith("[component.consumer")
    if header.endswith(".build]"):
        return False  # built already; `spin up` must not rebuild
    if mode == "api" and consumer:
        return False
    if header == "[[trigger.cron]]" and cron != "plugin":
        return False
    return True
print("".join(b for b in blocks if keep(b)), end="")
PY
}

# pn_spin_start DIR MANIFEST PORT ENV_FILE: `spin up` in the background with the variables in
# ENV_FILE (SPIN_VARIABLE_*=... lines), its log in DIR/spin.log; waits until /health answers.
# Prints the base URL.
pn_spin_start() {
  [[ $# -eq 4 ]] || { pn_spin_die "usage: pn_spin_start DIR MANIFEST PORT ENV_FILE"; return 1; }
  local dir=$1 manifest=$2 port=$3 env_file=$4 bin pid i
  bin=$(pn_spin_find_bin) || { pn_spin_not_installed; return 1; }
  mkdir -p "$dir/logs" "$dir/state" || return 1
  (set -a && source "$env_file" && set +a &&
    exec setsid "$bin" up --from "$manifest" --listen "127.0.0.1:$port" \
      --log-dir "$dir/logs" --state-dir "$dir/state" >"$dir/spin.log" 2>&1 </dev/null) &
  echo $! >"$dir/spin.pid"
  pid=$(cat "$dir/spin.pid")
  # Spin compiles each component at start (tens of seconds for a debug-sized one).
  for ((i = 0; i < 1200; i++)); do
    pn__alive "$pid" || break
    curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null &&
      { printf 'http://127.0.0.1:%s\n' "$port"; return 0; }
    sleep 0.1
  done
  tail -n 40 "$dir/spin.log" >&2
  pn_spin_die "spin up did not serve /health (log: $dir/spin.log)"
}

# pn_spin_stop DIR: stops what pn_spin_start started (the whole process group).
pn_spin_stop() {
  local pid
  pid=$(cat "$1/spin.pid" 2>/dev/null) || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do pn__alive "$pid" || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$1/spin.pid"
}

# pn_spin_env_file OUT DATABASE_URL REDIS_URL SECRETS_JSON BACKEND_URL [EXTRA=VALUE...]: the
# Spin variables as SPIN_VARIABLE_* lines (mode 600: they are secrets). Extra NAME=VALUE
# pairs set other variables (runaway_disable_seconds=2).
pn_spin_env_file() {
  local out=$1 db=$2 redis=$3 secrets=$4 backend=$5
  shift 5
  (umask 077 && python3 - "$secrets" "$db" "$redis" "$backend" "$@" >"$out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
values = {
    "jwt_secret": s["jwt_secret"],
    "worker_service_token": s["worker_service_token"],
    "encryption_key": s["encryption_key"],
    "database_url": sys.argv[2],
    "redis_url": sys.argv[3],
    "backend_api_url": sys.argv[4],
    "public_url": sys.argv[4],
}
for pair in sys.argv[5:]:
    name, value = pair.split("=", 1)
    values[name] = value
for name, value in values.items():
    print(f"SPIN_VARIABLE_{name.upper()}={value}")
PY
  )
}

# pn_spin_cron_once DIR ENV_FILE: the consumer's cron sweep once, without the cron plugin: the
# no-spin-imports build of the same consumer under `wasmtime run --invoke`, reading the same
# settings from its environment (the variables in ENV_FILE). Fails unless the export returned ok.
pn_spin_cron_once() {
  local dir=$1 env_file=$2 wasm=$1/consumer-bare.wasm api token out
  [[ -f "$wasm" ]] || { pn_spin_die "no $wasm: pn_spin_prepare_cron first"; return 1; }
  pn_spin_install_wasmtime || return 1
  api=$(sed -n 's/^SPIN_VARIABLE_BACKEND_API_URL=//p' "$env_file")
  token=$(sed -n 's/^SPIN_VARIABLE_WORKER_SERVICE_TOKEN=//p' "$env_file")
  out=$(pn__spin_invoke "$wasm" "$api" "$token" "handle-cron-event({timestamp: $(date +%s)})") || true
  [[ "$out" == ok ]] || { pn_spin_die "the cron sweep returned: ${out:-nothing}"; return 1; }
}

# pn_spin_prepare_cron DIR: how the cron sweep runs. With the trigger-cron plugin installed,
# Spin runs it (PN_SPIN_CRON=plugin); otherwise `pn_spin_cron_once` does, for which this builds
# the consumer's no-spin-imports variant and installs wasmtime (PN_SPIN_CRON=wasmtime).
pn_spin_prepare_cron() {
  local dir=$1 bin bare
  bin=$(pn_spin_find_bin) || { pn_spin_not_installed; return 1; }
  if pn_spin_has_cron_plugin "$bin"; then
    export PN_SPIN_CRON=plugin
    pn_spin_log "cron: Spin's trigger-cron plugin runs the consumer's sweep every minute"
    return 0
  fi
  export PN_SPIN_CRON=wasmtime
  pn_spin_log "cron: no trigger-cron plugin in this Spin (spin plugins install trigger-cron);"
  pn_spin_log "cron: the consumer's sweep runs every minute under wasmtime instead"
  pn_spin_install_wasmtime || return 1
  bare=$(pn_spin_build_crate "$PN_SPIN_CONSUMER_CRATE" "$PN_SPIN_CONSUMER_ARTIFACT" --features no-spin-imports) ||
    return 1
  mkdir -p "$dir" && cp "$bare" "$dir/consumer-bare.wasm"
}

# What the contract tests skip on Spin, as `test-name-substring|why`: what the components do
# not do yet (the API component has no storage provider: creating a storage answers 422 "this
# runtime has no storage providers yet", an upload 503 "file storage is unavailable") and what
# Spin cannot do by design (serve the web UI; delay a Redis message, so a retry waits for the
# next cron sweep, README "Spin").
PN_SPIN_SKIPS=(
  "files::|no storage provider on Spin yet"
  "file_direct_uploads::|no storage provider on Spin yet"
  "file_processing::|no storage provider on Spin yet"
  "file_providers::|no storage provider on Spin yet"
  "file_records::|no storage provider on Spin yet"
  "file_sharing::|no storage provider on Spin yet"
  "file_versions::|no storage provider on Spin yet"
  "media_processing::|no storage provider on Spin yet"
  "storages::|no storage provider on Spin yet"
  "backup::a_backup_restores|no storage provider on Spin yet (the backup is written to one)"
  "backup::accounts_without_a_usable|no storage provider on Spin yet (the backup is written to one)"
  "maintenance::abandoned_direct_uploads|no storage provider on Spin yet"
  "maintenance::expired_shares|no storage provider on Spin yet"
  "maintenance::orphaned_objects|no storage provider on Spin yet"
  "maintenance::processing_left_open|no storage provider on Spin yet"
  "maintenance::storage_health|no storage provider on Spin yet"
  "maintenance::the_trash_is_emptied|no storage provider on Spin yet"
  "notifications::a_bad_notify_email|no storage provider on Spin yet (it shares a file)"
  "notifications::a_share_with_notify_email|no storage provider on Spin yet (it shares a file)"
  "text_inputs::|no storage provider on Spin yet (the walk uploads a file)"
  "web_ui::|Spin serves no web UI"
  "ai::|no outbound HTTP on Spin yet: every provider call fails with 502 (NoOutbound)"
  "knowledge::|no outbound HTTP on Spin yet: ingestion and search embed through the proxy"
  "agents::|no outbound HTTP on Spin yet: every model step of a run goes through the proxy"
  "job_delivery::a_failed_job_runs_again_only_after_its_backoff|Redis pub/sub cannot delay a message: a retry runs at the next cron sweep, 60 to 120 s after its backoff"
)

# pn_spin_wait_subscribed REDIS_URL [CHANNEL]: waits (30 s at most) until the consumer's Redis
# trigger listens on the jobs channel: `spin up` serves HTTP before it subscribes, and an
# announcement published before that is only picked up by the next cron sweep.
pn_spin_wait_subscribed() {
  local url=$1 channel=${2:-powernode:jobs} i n
  for ((i = 0; i < 300; i++)); do
    n=$(redis-cli -u "$url" --raw PUBSUB NUMSUB "$channel" 2>/dev/null | sed -n 2p)
    [[ "${n:-0}" -ge 1 ]] && return 0
    sleep 0.1
  done
  pn_spin_die "the consumer's Redis trigger did not subscribe to $channel within 30 s"
}

# pn_spin_contract_tests RUN_DIR CONTRACT_BIN ADMIN_DB_URL REDIS_URL POWERNODE_BIN: the contract
# tests against the Spin components under `spin up`, as the workerd pass runs them against the
# Workers: one database (migrated by the native binary) and one Redis prefix, shared by the
# tests one at a time. Most modules run against the API component alone; the modules that need
# consumers run against both components. Writes RUN_DIR/spin/summary; fails if a test failed.
pn_spin_contract_tests() {
  local run=$1/spin bin=$2 admin_url=$3 redis=$4 powernode=$5 db_url port base path module
  local failed=0 consumer_modules=" job_delivery maintenance "
  mkdir -p "$run" && : >"$run/test.log" && : >"$run/skipped.log" || return 1
  "${PN_PG_BIN:+$PN_PG_BIN/}psql" -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c "CREATE DATABASE powernode_spin" >&2 ||
    return 1
  db_url="${admin_url%/*}/powernode_spin"
  DATABASE_URL="$db_url" REDIS_URL="$redis" POWERNODE_DATA_DIR="$run/data" "$powernode" migrate >&2 || return 1
  # The harness signs tokens with these (functions/host/tests/contract/common); test values only.
  (umask 077 && printf '%s\n' '{"jwt_secret": "integration-test-jwt-secret-0123456789",
    "worker_service_token": "integration-test-worker-secret-0123456789",
    "encryption_key": "integration-test-unused"}' >"$run/secrets.json") || return 1
  port=$(pn_free_port) || return 1
  pn_spin_env_file "$run/variables.env" "$db_url" "$redis" "$run/secrets.json" "http://127.0.0.1:$port" \
    runaway_disable_seconds=2 || return 1
  pn_spin_prepare_cron "$run" || return 1
  pn_spin_manifest "$run/api.toml" api && pn_spin_manifest "$run/all.toml" all || return 1
  (
    export POWERNODE_TEST_RUNTIME=spin POWERNODE_TEST_DATABASE_URL="$db_url" POWERNODE_TEST_REDIS_PREFIX="pn:"
    export POWERNODE_TEST_REDIS_URL="$redis"
    export POWERNODE_TEST_SKIP_LOG="$run/skipped.log" POWERNODE_TEST_RUNAWAY_DISABLE_SECONDS=2
    # Spin makes a component instance per request, so in-process metrics never add up.
    echo "metrics (every module): Spin instantiates the component per request; counters live per instance" \
      >>"$run/skipped.log"
    # What the Spin components do not do yet, skipped by name (libtest matches substrings) and
    # listed in the skip log: a new test that needs them fails here until it is added.
    local skips=() entry
    for entry in "${PN_SPIN_SKIPS[@]}"; do
      skips+=(--skip "${entry%%|*}")
      printf '%s: %s\n' "${entry%%|*}" "${entry#*|}" >>"$run/skipped.log"
    done
    base=$(pn_spin_start "$run/api" "$run/api.toml" "$port" "$run/variables.env") || exit 1
    export POWERNODE_TEST_BASE_URL="$base"
    for path in "$PN_ROOT"/functions/host/tests/contract/*.rs; do
      module=$(basename "$path" .rs)
      [[ "$module" != main && "$consumer_modules" != *" $module "* ]] || continue
      "$bin" "$module::" --test-threads=1 --skip metrics "${skips[@]}" 2>&1 | tee -a "$run/test.log" >&2
      ((PIPESTATUS[0] == 0)) || failed=1
    done
    pn_spin_stop "$run/api"
    base=$(pn_spin_start "$run/all" "$run/all.toml" "$port" "$run/variables.env") || exit 1
    pn_spin_wait_subscribed "$redis" || { pn_spin_stop "$run/all"; exit 1; }
    export POWERNODE_TEST_CONSUMER_WORKER=1
    [[ "$PN_SPIN_CRON" != wasmtime ]] ||
      export POWERNODE_TEST_CRON_CMD="bash '$PN_ROOT/scripts/lib/spin.sh' cron_once '$run' '$run/variables.env'"
    for module in $consumer_modules; do
      "$bin" "$module::" --test-threads=1 --skip metrics "${skips[@]}" 2>&1 | tee -a "$run/test.log" >&2
      ((PIPESTATUS[0] == 0)) || failed=1
    done
    pn_spin_stop "$run/all"
    exit "$failed"
  ) || failed=1
  "${PN_PG_BIN:+$PN_PG_BIN/}psql" -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS powernode_spin WITH (FORCE)" >&2 || true
  # A test skipped inside (native_only) reports "ok" to libtest, so those skips (the log's lines
  # less the notes above) come off the passes; the tests --skip kept from running are counted
  # from the binary's own list.
  awk -v s="$(($(wc -l <"$run/skipped.log") - 1 - ${#PN_SPIN_SKIPS[@]}))" '/^test result:/ { p += $4; f += $6 }
    END { printf "%d passed, %d skipped, %d failed, and %d not run on Spin (see the skip log)\n", p - s, s, f, n }' \
    n="$("$bin" --list 2>/dev/null | grep ': test$' | grep -cF -f <(printf '%s\n' "${PN_SPIN_SKIPS[@]%%|*}"))" \
    "$run/test.log" >"$run/summary"
  return "$failed"
}
