#!/usr/bin/env bash
# Apache Kafka (KRaft) for local runs and integration tests: a single node by default, or one
# node of a cluster (deploy/kafka/cluster.sh starts three through this script).
#
#   deploy/kafka/kafka.sh fetch                        resolve the broker jars from Maven Central
#   deploy/kafka/kafka.sh start [--clean] [--no-wait]  fetch if needed, format storage, start, wait
#   deploy/kafka/kafka.sh wait                         wait until the started broker answers
#   deploy/kafka/kafka.sh stop                         stop the broker started by `start`
#   deploy/kafka/kafka.sh status                       exit 0 if that broker is running
#
# A node of a cluster cannot answer until a majority of the controllers runs, so cluster.sh starts
# every node with --no-wait, then waits for each.
#
# Environment (all optional):
#   USUL_KAFKA_HOME             jar cache + default data root   (<repo>/.cache/kafka)
#   USUL_KAFKA_VERSION          org.apache.kafka:kafka_2.13 version           (4.1.1)
#   USUL_KAFKA_PORT             client (PLAINTEXT) port on 127.0.0.1           (9092)
#   USUL_KAFKA_CONTROLLER_PORT  KRaft controller port              (USUL_KAFKA_PORT+1)
#   USUL_KAFKA_DATA             data dir: config, pidfile, logs (<home>/data-<port>)
#   USUL_KAFKA_START_TIMEOUT    seconds to wait for the broker to answer         (60)
#   USUL_KAFKA_HEAP             JVM heap options                 (-Xms256m -Xmx512m)
# For one node of a cluster (all optional for a single node):
#   USUL_KAFKA_NODE_ID          this node's id                                    (1)
#   USUL_KAFKA_VOTERS           controller.quorum.voters        (NODE_ID@127.0.0.1:CONTROLLER_PORT)
#   USUL_KAFKA_CLUSTER_ID       the id every node of a cluster is formatted with        (random)
#   USUL_KAFKA_REPLICATION      replication of internal topics, default for new topics    (1)
#   USUL_KAFKA_MIN_ISR          min.insync.replicas, broker default and internal topics   (1)
#   USUL_KAFKA_EXPECT_BROKERS   ready once metadata lists this many brokers               (1)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KAFKA_HOME="${USUL_KAFKA_HOME:-$REPO_ROOT/.cache/kafka}"
KAFKA_VERSION="${USUL_KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="2.24.3"   # matches the log4j-core that kafka-server 4.1.x depends on
LIB_DIR="$KAFKA_HOME/lib"
STAMP="$LIB_DIR/.fetched-$KAFKA_VERSION"
PORT="${USUL_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${USUL_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
DATA_DIR="${USUL_KAFKA_DATA:-$KAFKA_HOME/data-$PORT}"
PIDFILE="$DATA_DIR/kafka.pid"
LOGFILE="$DATA_DIR/kafka.log"
START_TIMEOUT="${USUL_KAFKA_START_TIMEOUT:-60}"
HEAP="${USUL_KAFKA_HEAP:--Xms256m -Xmx512m}"
NODE_ID="${USUL_KAFKA_NODE_ID:-1}"
VOTERS="${USUL_KAFKA_VOTERS:-$NODE_ID@127.0.0.1:$CONTROLLER_PORT}"
CLUSTER_ID="${USUL_KAFKA_CLUSTER_ID:-}"
REPLICATION="${USUL_KAFKA_REPLICATION:-1}"
MIN_ISR="${USUL_KAFKA_MIN_ISR:-1}"
EXPECT_BROKERS="${USUL_KAFKA_EXPECT_BROKERS:-1}"

die() { echo "kafka.sh: $*" >&2; exit 1; }
log() { echo "kafka.sh: $*" >&2; }
# shellcheck source=../lib/pidfile.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/pidfile.sh"
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed (needed for: $2)"; }

write_pom() {
  cat >"$KAFKA_HOME/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>usul.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- slf4j 1.7 -> log4j2 bridge: Kafka logs through slf4j and log4j2. -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
}

cmd_fetch() {
  if [[ -f "$STAMP" ]]; then
    return 0
  fi
  need mvn "resolving Kafka jars"
  need java "running Kafka"
  mkdir -p "$KAFKA_HOME"
  write_pom
  rm -rf "$LIB_DIR.tmp"
  log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION into $LIB_DIR"
  mvn -q -B -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIB_DIR.tmp" >"$KAFKA_HOME/fetch.log" 2>&1 \
    || { tail -n 30 "$KAFKA_HOME/fetch.log" >&2; die "mvn failed (see $KAFKA_HOME/fetch.log)"; }
  rm -rf "$LIB_DIR"
  mv "$LIB_DIR.tmp" "$LIB_DIR"
  touch "$STAMP"
  log "fetched $(find "$LIB_DIR" -name '*.jar' | wc -l) jars"
}

write_log4j_config() {
  cat >"$DATA_DIR/log4j2.properties" <<EOF
status = error
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $DATA_DIR/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.server.name = org.apache.kafka.server
logger.server.level = INFO
EOF
}

write_server_properties() {
  cat >"$DATA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA_DIR/kafka-logs
num.partitions=1
auto.create.topics.enable=true
default.replication.factor=$REPLICATION
min.insync.replicas=$MIN_ISR
offsets.topic.replication.factor=$REPLICATION
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$MIN_ISR
share.coordinator.state.topic.replication.factor=$REPLICATION
share.coordinator.state.topic.min.isr=$MIN_ISR
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
}

java_cmd() {
  # shellcheck disable=SC2206  # HEAP is a list of JVM options
  JAVA_CMD=(java $HEAP -XX:+UseSerialGC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$DATA_DIR/log4j2.properties"
    -cp "$LIB_DIR/*")
}

format_storage() {
  if [[ -f "$DATA_DIR/kafka-logs/meta.properties" ]]; then
    return 0
  fi
  local cluster_id="$CLUSTER_ID"
  if [[ -z "$cluster_id" ]]; then
    cluster_id="$("${JAVA_CMD[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOGFILE" | tail -n 1)"
  fi
  "${JAVA_CMD[@]}" kafka.tools.StorageTool format --cluster-id="$cluster_id" \
    -c "$DATA_DIR/server.properties" >>"$LOGFILE" 2>&1 \
    || { tail -n 20 "$LOGFILE" >&2; die "storage format failed (see $LOGFILE)"; }
}

# Exit 0 once the broker answers a metadata request listing EXPECT_BROKERS brokers (or, without the repo venv,
# once the port accepts TCP connections and a short grace period has passed).
probe() {
  local py="$REPO_ROOT/.venv/bin/python"
  if [[ -x "$py" ]] && "$py" -c 'import aiokafka' 2>/dev/null; then
    "$py" - "127.0.0.1:$PORT" "$EXPECT_BROKERS" <<'EOF' >/dev/null 2>&1
import asyncio, sys
from aiokafka import AIOKafkaClient

async def main() -> None:
    client = AIOKafkaClient(bootstrap_servers=sys.argv[1], request_timeout_ms=3000)
    try:
        await asyncio.wait_for(client.bootstrap(), 5)
        if len(client.cluster.brokers()) < int(sys.argv[2]):
            raise SystemExit(1)
    finally:
        await client.close()

asyncio.run(main())
EOF
  else
    port_in_use "$PORT" && sleep 2
  fi
}

wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    is_running || { tail -n 30 "$LOGFILE" >&2; die "broker exited during startup (see $LOGFILE)"; }
    if probe; then
      return 0
    fi
    sleep 0.5
  done
  tail -n 30 "$LOGFILE" >&2
  die "broker did not answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s (see $LOGFILE)"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cmd_start() {
  local clean=0 wait=1
  for arg in "$@"; do
    case "$arg" in
      --clean) clean=1 ;;
      --no-wait) wait=0 ;;
      *) die "unknown option for start: $arg" ;;
    esac
  done
  if is_running; then
    log "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
    return 0
  fi
  local p
  for p in "$PORT" "$CONTROLLER_PORT"; do
    if port_in_use "$p"; then die "127.0.0.1:$p is already in use"; fi
  done
  cmd_fetch
  if ((clean)); then rm -rf "$DATA_DIR"; fi
  mkdir -p "$DATA_DIR"
  write_log4j_config
  write_server_properties
  : >"$LOGFILE"
  java_cmd
  format_storage
  # Started directly (not via a function) so that $! is the JVM itself.
  "${JAVA_CMD[@]}" kafka.Kafka "$DATA_DIR/server.properties" >>"$LOGFILE" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  if ((wait)); then cmd_wait; fi
}

cmd_wait() {
  wait_ready
  log "running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT, data in $DATA_DIR"
}

cmd_stop() {
  stop_pidfile 30
}

cmd_status() {
  if is_running; then
    echo "running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
    return 0
  fi
  echo "not running"
  return 1
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    fetch) cmd_fetch "$@" ;;
    start) cmd_start "$@" ;;
    wait) cmd_wait ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    *) die "usage: $0 {fetch|start [--clean] [--no-wait]|wait|stop|status}" ;;
  esac
}

main "$@"
