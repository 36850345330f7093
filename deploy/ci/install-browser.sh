#!/usr/bin/env bash
# The browser for tests/e2e: Chromium from the distribution's packages (Playwright drives it through
# `executable_path`; Playwright's own browser download is not used), and a small CJK font so that
# screenshots of non-Latin headlines are legible. Idempotent; needs root (or sudo) and apt-get.
# The Python side (`playwright`) comes with the project's `test` extra.
set -euo pipefail

PACKAGES=(chromium fonts-liberation fonts-wqy-microhei)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ] && [ -x /usr/bin/chromium ]; then
    echo "browser packages already installed: ${PACKAGES[*]}"
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install-browser: no apt-get here; install Chromium so that /usr/bin/chromium exists" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]:-chromium}"
/usr/bin/chromium --version || true
