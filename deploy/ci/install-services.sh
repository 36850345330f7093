#!/usr/bin/env bash
# Installs the real servers the sink tests run against (tests/sinks, tests/integration/test_sink_faults.py).
#
#   PostgreSQL  Debian package; the tests run initdb and pg_ctl from /usr/lib/postgresql/<ver>/bin
#               themselves, as user postgres, on a free port; the package's own cluster is not used.
#   moto[server], aiosmtpd, psycopg[binary]
#               Python packages: installed with the project's test extras (pyproject), or here
#               into the virtualenv given as $1 (default .venv) when they are missing.
#
# Usage: deploy/ci/install-services.sh [VENV]     (needs root, or sudo, for apt-get)
set -euo pipefail

venv="${1:-.venv}"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
if [ -x "$venv/bin/python" ]; then
    if ! "$venv/bin/python" -c "import moto.server, aiosmtpd, psycopg, boto3" 2>/dev/null; then
        # faust-streaming 0.15 needs click < 8.4, which Flask (via moto[server]) would otherwise upgrade.
        "$venv/bin/pip" install --quiet "moto[server]>=5,<6" "aiosmtpd>=1.4" "psycopg[binary]>=3.1,<4" \
            "boto3>=1.34" "click>=8.1.3,<8.4"
    fi
fi

ls -d /usr/lib/postgresql/*/bin | tail -1
