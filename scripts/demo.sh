#!/usr/bin/env bash
# Installs what is missing, builds, starts a local rookeryd on 127.0.0.1:${ROOKERY_PORT:-2181}
# and runs the example client against it. Ctrl-C stops the client and the server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

port=${ROOKERY_PORT:-2181}
data_dir=$(mktemp -d /tmp/rookery-demo.XXXXXX)
./build/apps/rookeryd/rookeryd --data-dir "$data_dir" --client-port "$port" &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data_dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 50); do
  [[ "$(printf srvr | nc -q1 127.0.0.1 "$port" 2>/dev/null | head -c 9)" == "Zookeeper" ]] && break
  sleep 0.1
done
echo "rookeryd is serving on 127.0.0.1:$port (data in $data_dir)"
/usr/bin/python3 examples/demo_client.py --servers "127.0.0.1:$port" "$@"
