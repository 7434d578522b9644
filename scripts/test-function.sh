#!/usr/bin/env bash
# The function's checks beyond `cargo test`: builds the Lambda zip, then runs
# the benchmark in its short form. The benchmark prints figures against their
# targets and asserts nothing; it fails only if the function cannot run.
#
#   scripts/test-function.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
zip=$("$root/scripts/build-function.sh" | tail -n 1)
cd "$root"
cargo bench --package ratchet-function --bench function -- --quick --zip "$zip"
