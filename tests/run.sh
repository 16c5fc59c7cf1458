#!/usr/bin/env bash
# Install what the tests need (Debian packages when root, the Python package with its test extras)
# and run the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=()
  while read -r pkg; do
    case "$pkg" in ''|\#*) continue ;; esac
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done < tests/apt-packages.txt
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing Debian packages: ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m pytest -q "$@"
