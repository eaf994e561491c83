#!/usr/bin/env bash
# Debian packages yuqing needs, installed only when missing: Chromium for the browser tests, CJK fonts for
# charts and reports, PostgreSQL for the database tests, poppler for PDF pages. LibreOffice (only for
# scripts/render_report_png.sh, not for the tests) is installed by that script when it is run.
set -euo pipefail

packages=(chromium fonts-noto-cjk postgresql poppler-utils ${YUQING_EXTRA_DEBIAN_PACKAGES:-})
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
# Debian starts a postgresql service on install where it can; the tests run their own throw-away cluster.
