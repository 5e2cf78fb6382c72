# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# Schemathesis against the API's own OpenAPI document (scripts/fuzz-api). Source after
# common.sh and services.sh.

PN_SCHEMATHESIS_VERSION=4.32.5

pn__fuzz_log() { printf '[fuzz] %s\n' "$*" >&2; }

# pn_install_schemathesis -> prints the venv's path (a pinned PyPI package in the tool cache).
pn_install_schemathesis() { pn_install_pip_tool schemathesis "$PN_SCHEMATHESIS_VERSION"; }

# pn__fuzz_service_token SECRET -> an HS256 service token (shared/src/tokens.rs: ServiceClaims)
# valid for an hour, as a consumer would mint it.
pn__fuzz_service_token() {
  python3 - "$1" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "fuzz", "iss": "powernode", "aud": "powernode:worker",
                       "iat": now, "exp": now + 3600}).encode())
sig = hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
}

# pn__fuzz_login BASE EMAIL PASSWORD -> an access token.
pn__fuzz_login() {
  curl -fsS -H 'content-type: application/json' \
    -d "$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' "$2" "$3")" \
    "$1/api/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])'
}

# pn_fuzz_api BASE_URL DATA_DIR OUT_DIR
pn_fuzz_api() {
  local base=$1 data=$2 out=$3 venv owner admin service email password rc=0 examples
  examples="${POWERNODE_FUZZ_EXAMPLES:-8}"
  venv=$(pn_install_schemathesis) || return 1
  email="fuzz-$(date +%s%N)@example.com"
  password="fuzz password $RANDOM$RANDOM"
  curl -fsS -o /dev/null -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Fuzz\"}" "$base/api/v1/auth/register" ||
    { pn_die "could not register the fuzzing account"; return 1; }
  owner=$(pn__fuzz_login "$base" "$email" "$password") || return 1
  admin=$(pn__fuzz_login "$base" "${POWERNODE_ADMIN_EMAIL:-admin@powernode.local}" "$(cat "$data/admin-password")") || return 1
  service=$(pn__fuzz_service_token "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["worker_service_token"])' "$data/secrets.json")") ||
    return 1
  # Signing out would end the session under test: that operation is left to the contract
  # tests.
  local common=(--config-file "$PN_ROOT/scripts/fuzz/schemathesis.toml" run "$base/api/v1/openapi.json"
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
    --max-examples "$examples" --seed 20261207 --workers 1 --no-color --generation-database none
    --report junit,pytest --report-dir "$out")
  local who token include
  for who in owner admin service; do
    case $who in
      # One regex: a second --exclude-path-regex would replace the first.
      owner) token=$owner include=(--exclude-path-regex '^/api/v1/((admin|worker)/|auth/logout$)') ;;
      admin) token=$admin include=(--include-path-regex '^/api/v1/admin/') ;;
      # The claim long poll holds a request up to 30 s (`wait_seconds`) when nothing is due,
      # past any sensible request timeout for a fuzzer; the contract tests cover it.
      service) token=$service include=(--include-path-regex '^/api/v1/worker/'
        --exclude-path-regex '^/api/v1/worker/queue/claim$') ;;
    esac
    # Its report goes to a log (it is long, and its closing lines look like another test
    # runner's); one line here says how it went, and a failure prints the report's failures.
    if "$venv/bin/python" -m schemathesis.cli "${common[@]}" "${include[@]}" \
      --report-junit-path "$out/junit-$who.xml" --report-pytest-path "$out/failures-$who.py" \
      -H "Authorization: Bearer $token" >"$out/schemathesis-$who.log" 2>&1; then
      pn__fuzz_log "Schemathesis as $who: $(grep -E '[0-9]+ generated' "$out/schemathesis-$who.log" | tr -s ' ' | sed 's/^ //')"
    else
      rc=1
      pn__fuzz_log "Schemathesis as $who FAILED (report: $out/schemathesis-$who.log):"
      sed -n '/= FAILURES =/,/= WARNINGS =/p' "$out/schemathesis-$who.log" >&2
      tail -n 5 "$out/schemathesis-$who.log" >&2
    fi
  done
  return $rc
}
