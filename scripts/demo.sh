#!/usr/bin/env bash
# Run the Skyloop demo (installs what it needs first). Extra arguments go to `skyloop demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/skyloop demo "$@"
