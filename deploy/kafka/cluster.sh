#!/usr/bin/env bash
# Three-node Apache Kafka cluster (KRaft, each node broker and controller) on one machine, for the
# broker-failure tests and local use. Every node is a kafka.sh node with its own ports, data
# directory and node id; they share one cluster id and one controller quorum.
#
#   deploy/kafka/cluster.sh start [--clean]  format (first time) and start the three nodes, wait for all
#   deploy/kafka/cluster.sh stop             stop every node
#   deploy/kafka/cluster.sh status           one line per node; exit 0 if all three run
#   deploy/kafka/cluster.sh kill N           SIGKILL node N (1-3): a crash, no clean shutdown
#   deploy/kafka/cluster.sh restart N        start node N again on its data and wait for it
#   deploy/kafka/cluster.sh bootstrap        print the bootstrap servers
#
# Environment (all optional):
#   USUL_KAFKA_CLUSTER_PORTS  client ports of nodes 1,2,3 on 127.0.0.1   (19092,19094,19096)
#                             each node's controller port is its client port + 1
#   USUL_KAFKA_CLUSTER_DATA   data root, one directory per node (<repo>/.cache/kafka/cluster)
#   USUL_KAFKA_HEAP           JVM heap options per node                  (-Xms128m -Xmx384m)
#   and kafka.sh's USUL_KAFKA_HOME, USUL_KAFKA_VERSION, USUL_KAFKA_START_TIMEOUT.
#
# Replication as in production (deploy/README.md, "Three brokers"): new and internal topics get
# replication factor 3 and min.insync.replicas 2, so one node may die without losing an
# acknowledged write or stopping producers that ask for acks=all.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_SH="$HERE/kafka.sh"
IFS=, read -r -a PORTS <<<"${USUL_KAFKA_CLUSTER_PORTS:-19092,19094,19096}"
DATA_ROOT="${USUL_KAFKA_CLUSTER_DATA:-$(cd "$HERE/../.." && pwd)/.cache/kafka/cluster}"
NODES=(1 2 3)

die() { echo "cluster.sh: $*" >&2; exit 1; }

[[ ${#PORTS[@]} -eq 3 ]] || die "USUL_KAFKA_CLUSTER_PORTS needs three ports, got '${PORTS[*]}'"

port_of() { echo "${PORTS[$(($1 - 1))]}"; }

voters() {
  local n out=()
  for n in "${NODES[@]}"; do out+=("$n@127.0.0.1:$(($(port_of "$n") + 1))"); done
  (IFS=,; echo "${out[*]}")
}

bootstrap() {
  local n out=()
  for n in "${NODES[@]}"; do out+=("127.0.0.1:$(port_of "$n")"); done
  (IFS=,; echo "${out[*]}")
}

# The id every node is formatted with, kept beside the nodes so a restart reuses it.
cluster_id() {
  local file="$DATA_ROOT/cluster.id"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$DATA_ROOT"
    # a Kafka cluster id is 16 random bytes in URL-safe base64 without padding
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$file"
  fi
  cat "$file"
}

node() {  # node N COMMAND [ARGS...]: kafka.sh for node N
  local n="$1"; shift
  USUL_KAFKA_PORT="$(port_of "$n")" \
  USUL_KAFKA_CONTROLLER_PORT="$(($(port_of "$n") + 1))" \
  USUL_KAFKA_DATA="$DATA_ROOT/node-$n" \
  USUL_KAFKA_NODE_ID="$n" \
  USUL_KAFKA_VOTERS="$(voters)" \
  USUL_KAFKA_CLUSTER_ID="$(cluster_id)" \
  USUL_KAFKA_REPLICATION=3 \
  USUL_KAFKA_MIN_ISR=2 \
  USUL_KAFKA_EXPECT_BROKERS="${EXPECT:-3}" \
  USUL_KAFKA_HEAP="${USUL_KAFKA_HEAP:--Xms128m -Xmx384m}" \
    bash "$KAFKA_SH" "$@"
}

valid_node() { [[ "${1:-}" =~ ^[123]$ ]] || die "node must be 1, 2 or 3, got '${1:-}'"; }

cmd_start() {
  local n
  if [[ "${1:-}" == "--clean" ]]; then rm -rf "$DATA_ROOT"; elif [[ $# -gt 0 ]]; then die "unknown option: $1"; fi
  bash "$KAFKA_SH" fetch
  # every node first: none answers before a majority of controllers runs
  for n in "${NODES[@]}"; do node "$n" start --no-wait; done
  for n in "${NODES[@]}"; do node "$n" wait; done
  echo "cluster.sh: three nodes on $(bootstrap)" >&2
}

cmd_kill() {
  valid_node "${1:-}"
  local pidfile="$DATA_ROOT/node-$1/kafka.pid" pid
  [[ -f "$pidfile" ]] || die "node $1 is not running"
  pid="$(cat "$pidfile")"
  kill -KILL "$pid" 2>/dev/null || die "node $1 is not running"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done  # gone, so `restart` starts a new one
}

cmd_restart() {
  valid_node "${1:-}"
  # the others may be down too (a test kills one at a time); one live broker is enough to answer
  EXPECT=1 node "$1" start
}

# All at once: a node stopped after the others has no controller quorum for its controlled
# shutdown and waits out kafka.sh's 30 s before SIGKILL.
cmd_stop() {
  local n
  for n in "${NODES[@]}"; do node "$n" stop & done
  wait
}

cmd_status() {
  local n ok=0
  for n in "${NODES[@]}"; do
    echo "node $n: $(node "$n" status || true)"
    node "$n" status >/dev/null 2>&1 || ok=1
  done
  return "$ok"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    kill) cmd_kill "$@" ;;
    restart) cmd_restart "$@" ;;
    bootstrap) bootstrap ;;
    *) die "usage: $0 {start [--clean]|stop|status|kill N|restart N|bootstrap}" ;;
  esac
}

main "$@"
