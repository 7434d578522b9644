#!/usr/bin/env bash
# Builds the function's Lambda deployment zip (runtime provided.al2023,
# x86_64) with cargo-lambda, and prints the zip's path as the last line of
# stdout; everything else goes to stderr.
#
#   scripts/build-function.sh
#
# Only x86_64 is built: arm64 needs the aarch64-unknown-linux-gnu Rust
# standard library, which is not installed on this machine and cannot be
# downloaded here. With that target installed (`rustup target add
# aarch64-unknown-linux-gnu`), `--arm64` on the same command builds it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${RATCHET_TOOLS_DIR:-$root/.tools}"
cargo_lambda="$tools/py/bin/cargo-lambda"
if [[ ! -x "$cargo_lambda" ]]; then
  echo "build-function: $cargo_lambda is missing; run scripts/tools.sh py" >&2
  exit 1
fi

# cargo-lambda links with zig from the same virtual environment, which keeps
# the binary's glibc needs within what provided.al2023 offers.
export PATH="$tools/py/bin:$PATH"
cd "$root"
"$cargo_lambda" lambda build --release --output-format zip \
  --package ratchet-function --bin bootstrap >&2

# cargo's target folder, wherever CARGO_TARGET_DIR or configuration puts it.
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
zip="$target_dir/lambda/bootstrap/bootstrap.zip"
if [[ ! -f "$zip" ]]; then
  echo "build-function: cargo-lambda did not produce $zip" >&2
  exit 1
fi
echo "$zip"
