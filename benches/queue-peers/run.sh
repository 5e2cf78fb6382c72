#!/usr/bin/env bash
# run.sh sidekiq|bullmq|graphile --jobs N --concurrency C --redis-url URL --database-url URL
# Runs the queue workload against one peer (servers given by URL, e.g. from
# scripts/lib/services.sh) and prints ONE line of JSON on stdout; progress goes to stderr.
# Installs the peers first if needed (install.sh is a no-op when they are there).
# Env: BENCH_TIMEOUT_S (default 600): the whole run fails with an error after that long.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
node_dir=$("$here/install.sh")
export NODE_PATH="$node_dir/node_modules"
export BENCH_TIMEOUT_S=${BENCH_TIMEOUT_S:-600}
# bench.js enforces the deadline itself and stops its children; `timeout` is only a backstop.
# --foreground keeps everything in the caller's process group, so killing that group (Ctrl-C,
# a CI step's timeout) stops the peers too; on SIGTERM bench.js kills its children itself.
exec timeout --foreground -k 10 $((BENCH_TIMEOUT_S + 60)) node "$here/bench.js" "$@"
