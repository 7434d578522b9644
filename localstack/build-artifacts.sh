#!/usr/bin/env bash
# Builds what the deploy hooks need into one folder, and prints the folder
# as the last line of stdout:
#   ratchet-seal    the seal tool, run by 40-function.sh
#   bootstrap       the function, for runtimes started by hand (the tests)
#   bootstrap.zip   the same binary as LocalStack's Lambda takes it
#
#   localstack/build-artifacts.sh [OUT_DIR]   (default: <cargo target dir>/ratchet-artifacts)
#
# Both binaries are static (scripts/build-static.sh), so they run in the
# LocalStack image, in Lambda's provided.al2023 and on the host alike. The
# compose file runs this script in the official Rust image; the end-to-end
# tests run it on the host.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
paths=$(scripts/build-static.sh release ratchet-function bootstrap ratchet-seal)
mapfile -t built <<<"$paths"

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="${1:-$target_dir/ratchet-artifacts}"
mkdir -p "$out"
for path in "${built[@]}"; do
  binary=$(basename "$path")
  cp "$path" "$out/$binary.tmp"
  mv "$out/$binary.tmp" "$out/$binary"
done

# The zip holds the one executable at its root, as provided.al2023 wants it.
# Python's zipfile keeps the file mode, so bootstrap stays executable.
(cd "$out" && rm -f bootstrap.zip.tmp &&
  python3 -m zipfile -c bootstrap.zip.tmp bootstrap && mv bootstrap.zip.tmp bootstrap.zip)
echo "$out"
