#!/usr/bin/env bash
# Builds binaries of one package as static executables (the host's glibc
# target with crt-static), checks that they are, and prints each one's path
# on a line of its own; cargo's output goes to stderr.
#
#   scripts/build-static.sh PROFILE PACKAGE BINARY...
#   e.g. scripts/build-static.sh sidecar ratchet-daemon ratchet
#
# Static binaries run FROM scratch, in the LocalStack image, in Lambda's
# provided.al2023 and on the host alike. The target is the host's, with
# musl swapped for gnu (no musl target is needed).
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: scripts/build-static.sh PROFILE PACKAGE BINARY..." >&2
  exit 2
fi
profile=$1
package=$2
shift 2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target=$(rustc -vV | sed -n 's/^host: //p')
target=${target/-musl/-gnu}

bins=()
for binary in "$@"; do
  bins+=(--bin "$binary")
done
# --target keeps the flag off build scripts and proc macros, which must stay
# dynamic.
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --profile "$profile" --locked -p "$package" "${bins[@]}" --target "$target" >&2

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out_dir="$target_dir/$target/$profile"
[[ "$profile" == dev ]] && out_dir="$target_dir/$target/debug"
for binary in "$@"; do
  built="$out_dir/$binary"
  # A dynamic binary lists the libraries it needs as "name => path".
  if ldd "$built" 2>&1 | grep -q "=>"; then
    echo "build-static: $built is not static" >&2
    exit 1
  fi
  echo "$built"
done
