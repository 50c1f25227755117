#!/usr/bin/env bash
# The README's test command: installs the dependencies, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/install-deps.sh all
cmake --preset default
cmake --build --preset default
ctest --preset default -j2 --timeout 300
echo "tests finished in $(( $(date +%s) - start )) s"
