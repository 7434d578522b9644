#!/usr/bin/env bash
# Builds the daemon as the image ships it: a static binary (glibc target,
# crt-static) with the `sidecar` profile (smallest code, no unwinding), and
# prints its path as the last line of stdout.
#
#   scripts/build-daemon.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target=x86_64-unknown-linux-gnu
# --target keeps the flag off build scripts and proc macros, which must stay
# dynamic.
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --profile sidecar --locked -p ratchet-daemon --target "$target" >&2
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
binary="$target_dir/$target/sidecar/ratchet"
# A dynamic binary lists the libraries it needs as "name => path".
if ldd "$binary" 2>&1 | grep -q "=>"; then
  echo "build-daemon: $binary is not static" >&2
  exit 1
fi
echo "$binary"
