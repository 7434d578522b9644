#!/usr/bin/env bash
# Builds the reader image of the container tests from a binary built here,
# pulling nothing: FROM scratch, the static ratchet-e2e-reader and nothing
# else. Prints the tag as the last line of stdout.
#
#   tests/build-reader-image.sh [TAG]     (default ratchet-e2e-reader:local)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${1:-ratchet-e2e-reader:local}"
target=x86_64-unknown-linux-gnu
cd "$root"
# --target keeps the flag off build scripts and proc macros.
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked -p ratchet-e2e --bin ratchet-e2e-reader --target "$target" >&2
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
binary="$target_dir/$target/release/ratchet-e2e-reader"
if ldd "$binary" 2>&1 | grep -q "=>"; then
  echo "build-reader-image: $binary is not static" >&2
  exit 1
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/reader"
printf 'FROM scratch\nCOPY reader /reader\nENTRYPOINT ["/reader"]\n' >"$context/Dockerfile"
docker build --quiet -t "$tag" "$context" >&2
echo "$tag"
