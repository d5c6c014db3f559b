#!/usr/bin/env bash
# Benchmarks rookeryd against Apache ZooKeeper (Debian's 3.8) with rookery-bench, on this
# machine, over loopback. For each server, on a free 127.0.0.1 port with a fresh temp data dir:
#   * set, get and mix90 loads, each as 4 sessions x 64 in flight and as 1 session x 1 in flight:
#     throughput, p50/p99/p999 latency, server CPU time per op (utime+stime from /proc/PID/stat,
#     sampled by rookery-bench at the edges of the measured window);
#   * on a second fresh instance: VmRSS before and after creating BENCH_CREATE znodes of 100
#     bytes, reported as bytes per znode;
#   * among the machine facts: what one durable commit costs on the disk (rookery-sync-probe).
# Prints machine facts, the raw CSV and a markdown table with Rookery/ZooKeeper ratios.
# Everything it writes goes to BENCH_OUT (default: a new /tmp/rookery-bench.* directory).
#
# Knobs (environment): BENCH_DURATION (10 s), BENCH_WARMUP (3 s), BENCH_CREATE (1000000),
# BENCH_SERVERS ("rookeryd zookeeper"), ZK_SERVER_JVMFLAGS (passed as SERVER_JVMFLAGS; empty
# means zkServer.sh's defaults), BENCH_SKIP_BUILD=1 to reuse ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-3}
create_count=${BENCH_CREATE:-1000000}
servers=${BENCH_SERVERS:-"rookeryd zookeeper"}
out=${BENCH_OUT:-$(mktemp -d /tmp/rookery-bench.XXXXXX)}
mkdir -p "$out"

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  ./scripts/install-deps.sh
  ./scripts/build.sh
fi
bench=$repo/build/apps/rookery-bench/rookery-bench
rookeryd=$repo/build/apps/rookeryd/rookeryd
sync_probe=$repo/build/apps/sync-probe/rookery-sync-probe
zk_server=/usr/share/zookeeper/bin/zkServer.sh
for f in "$bench" "$rookeryd" "$sync_probe" "$zk_server"; do
  [[ -x $f ]] || { echo "bench.sh: missing $f" >&2; exit 1; }
done

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# --- servers -------------------------------------------------------------------------------

server_pid=""
started_pids=()
cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() {  # port pid
  local i
  for i in $(seq 1 150); do
    kill -0 "$2" 2>/dev/null || { log "server pid $2 exited during startup"; return 1; }
    # srvr is the one four-letter word both servers always answer.
    if printf srvr | nc -N -w 2 127.0.0.1 "$1" 2>/dev/null | grep -q '^Mode:'; then return 0; fi
    sleep 0.2
  done
  log "server on port $1 not ready after about 30 s"
  return 1
}

# start_server NAME TAG: sets server_pid and server_port; the data dir is $out/NAME-TAG.
start_server() {
  local name=$1 tag=$2 dir=$out/$1-$2
  rm -rf "$dir"
  mkdir -p "$dir/data" "$dir/logs"
  server_port=$(free_port)
  case $name in
    rookeryd)
      # All four-letter words on, as 4lw.commands.whitelist=* does for ZooKeeper; else defaults.
      echo 'four_letter_words = "*"' >"$dir/rookery.toml"
      "$rookeryd" --config "$dir/rookery.toml" --data-dir "$dir/data" --client-port "$server_port" \
        >"$dir/server.log" 2>&1 &
      server_pid=$!
      ;;
    zookeeper)
      cat >"$dir/zoo.cfg" <<EOF
dataDir=$dir/data
clientPort=$server_port
clientPortAddress=127.0.0.1
tickTime=2000
admin.enableServer=false
4lw.commands.whitelist=*
EOF
      # start-foreground execs java, so $! is the JVM itself.
      ZOO_LOG_DIR=$dir/logs SERVER_JVMFLAGS=${ZK_SERVER_JVMFLAGS:-} \
        "$zk_server" start-foreground "$dir/zoo.cfg" >"$dir/server.log" 2>&1 &
      server_pid=$!
      ;;
  esac
  started_pids+=("$server_pid")
  wait_ready "$server_port" "$server_pid"
  log "$name ($tag) pid $server_pid on 127.0.0.1:$server_port, data in $dir/data"
}

stop_server() {
  local i
  kill -TERM "$server_pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    log "pid $server_pid ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
}

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# --- runs ----------------------------------------------------------------------------------

results=$out/results.csv
header_written=0
failures=()

# run_bench SERVER LABEL ARGS...: one rookery-bench run, one CSV row into $results.
run_bench() {
  local server=$1 label=$2
  shift 2
  local raw=$out/$server-$label.csv status=0
  log "$server $label: rookery-bench $*"
  timeout $((duration + warmup + 600)) "$bench" --servers "127.0.0.1:$server_port" --server-pid "$server_pid" \
    --csv "$@" >"$raw" 2>"$out/$server-$label.err" || status=$?
  if [[ $status -ne 0 ]]; then
    failures+=("$server $label: exit $status, $(tr '\n' ' ' <"$out/$server-$label.err")")
    log "  exit status $status: $(cat "$out/$server-$label.err")"
  fi
  if [[ $(wc -l <"$raw") -ge 2 ]]; then
    if [[ $header_written == 0 ]]; then
      echo "server,label,$(head -1 "$raw"),rss_before_kb,rss_after_kb,rss_file_after_kb" >"$results"
      header_written=1
    fi
    echo "$server,$label,$(sed -n 2p "$raw"),,," >>"$results"
    log "  $(sed -n 2p "$raw")"
  fi
}

{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "loadavg before: $(cat /proc/loadavg)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "jvm default max heap: $(java -XX:+PrintFlagsFinal -version 2>/dev/null | awk '$2 == "MaxHeapSize" {printf "%.0f MiB", $4/1048576}')"
  echo "ZK_SERVER_JVMFLAGS: ${ZK_SERVER_JVMFLAGS:-(none: zkServer.sh defaults)}"
  if git rev-parse --git-dir >/dev/null 2>&1; then
    echo "source: git $(git rev-parse --short HEAD), $(git status --porcelain --untracked-files=no | wc -l) tracked files modified"
  else
    echo "source: $repo (not a git checkout)"
  fi
  echo "rookeryd binary: built $(date -r "$rookeryd" -Is), sha256 $(sha256sum "$rookeryd" | cut -c1-16)"
  echo "duration ${duration}s, warmup ${warmup}s, create ${create_count}"
  # What one durable commit costs on the disk under $out: a single-session write waits for one.
  echo "one durable commit on this disk (rookery-sync-probe):"
  "$sync_probe" --dir "$out" | sed 's/^/  /'
} | tee "$out/machine.txt" >&2

for server in $servers; do
  start_server "$server" load
  for workload in set get mix90; do
    for shape in "4 64" "1 1"; do
      read -r sessions in_flight <<<"$shape"
      run_bench "$server" "$workload-${sessions}x$in_flight" --workload "$workload" --sessions "$sessions" \
        --in-flight "$in_flight" --value-bytes 100 --keys 1000 --duration "$duration" --warmup "$warmup"
    done
  done
  stop_server

  start_server "$server" memory
  sleep 1
  rss_before=$(status_kb "$server_pid" VmRSS)
  grep -E '^(Vm|Rss)' "/proc/$server_pid/status" >"$out/$server-status-before.txt"
  run_bench "$server" create-pending --create "$create_count" --value-bytes 100 --sessions 4 --in-flight 64
  sleep 3  # let background work (snapshots, GC) settle before reading RSS
  rss_after="" rss_file_after=""
  if kill -0 "$server_pid" 2>/dev/null; then
    rss_after=$(status_kb "$server_pid" VmRSS)
    rss_file_after=$(status_kb "$server_pid" RssFile)
    grep -E '^(Vm|Rss)' "/proc/$server_pid/status" >"$out/$server-status-after.txt"
  else
    failures+=("$server create: server process died")
  fi
  # The create row gets its final label and the RSS figures.
  if [[ -f $results ]]; then
    sed -i "s/^$server,create-pending,\(.*\),,,\$/$server,create-$create_count,\1,$rss_before,$rss_after,$rss_file_after/" "$results"
  fi
  printf mntr | nc -N -w 5 127.0.0.1 "$server_port" >"$out/$server-mntr.txt" 2>/dev/null || true
  if [[ $server == zookeeper ]] && command -v jcmd >/dev/null; then
    # Extra, after the RSS reading: how much of the heap is live once a full GC ran.
    { jcmd "$server_pid" GC.heap_info; jcmd "$server_pid" GC.run; sleep 1; jcmd "$server_pid" GC.heap_info
      grep -E '^(VmRSS|RssAnon|RssFile)' "/proc/$server_pid/status"; } >"$out/zookeeper-heap-info.txt" 2>&1 || true
  fi
  stop_server
done

echo "loadavg after: $(cat /proc/loadavg)" | tee -a "$out/machine.txt" >&2

# --- report --------------------------------------------------------------------------------

echo
echo "Raw results: $results"
echo
cat "$results"
echo
python3 - "$results" "$create_count" <<'EOF'
import csv, sys

rows = list(csv.DictReader(open(sys.argv[1])))
create_count = int(sys.argv[2])
by = {(r["server"], r["label"]): r for r in rows}

def num(r, k):
    try:
        return float(r[k])
    except (KeyError, TypeError, ValueError):
        return None

def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b not in (None, 0) else "n/a"

def show(v, digits=0):
    return "n/a" if v is None else f"{v:,.{digits}f}"

labels = [f"{w}-{s}" for w in ("set", "get", "mix90") for s in ("4x64", "1x1")]
print("| load | Rookery ops/s | ZK ops/s | ratio | Rookery p50 us | ZK p50 us | ratio | Rookery p99 us | ZK p99 us | ratio | Rookery CPU us/op | ZK CPU us/op | ratio | errors R/ZK |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for label in labels:
    r, z = by.get(("rookeryd", label), {}), by.get(("zookeeper", label), {})
    cells = [label]
    for key, digits in (("ops_per_s", 0), ("p50_us", 0), ("p99_us", 0), ("server_cpu_us_per_op", 1)):
        a, b = num(r, key), num(z, key)
        cells += [show(a, digits), show(b, digits), ratio(a, b)]
    err = lambda x: (x.get("errors_all") or "n/a") + ("" if x.get("failed_sessions") in (None, "0") else f" ({x['failed_sessions']} failed)")
    cells.append(f"{err(r)} / {err(z)}")
    print("| " + " | ".join(cells) + " |")

print()
print(f"| {create_count:,} znodes x 100 B | Rookery | ZooKeeper | ratio |")
print("|---|--:|--:|--:|")
label = f"create-{create_count}"
r, z = by.get(("rookeryd", label), {}), by.get(("zookeeper", label), {})
def mib(x, k):
    v = num(x, k)
    return None if v is None else v / 1024
def per_node(x):
    a, b = num(x, "rss_before_kb"), num(x, "rss_after_kb")
    return None if a is None or b is None else (b - a) * 1024 / create_count
for name, f, digits in (("RSS before (MiB)", lambda x: mib(x, "rss_before_kb"), 0),
                        ("RSS after (MiB)", lambda x: mib(x, "rss_after_kb"), 0),
                        ("of which file-backed, RssFile (MiB)", lambda x: mib(x, "rss_file_after_kb"), 0),
                        ("bytes per znode", per_node, 0),
                        ("create ops/s (4x64)", lambda x: num(x, "ops_per_s"), 0),
                        ("create p99 us", lambda x: num(x, "p99_us"), 0),
                        ("server CPU us/create", lambda x: num(x, "server_cpu_us_per_op"), 1)):
    a, b = f(r), f(z)
    print(f"| {name} | {show(a, digits)} | {show(b, digits)} | {ratio(a, b)} |")
EOF

if [[ ${#failures[@]} -gt 0 ]]; then
  echo
  echo "Problems:"
  printf '  %s\n' "${failures[@]}"
fi
echo
echo "Outputs, server logs and data dirs: $out"
