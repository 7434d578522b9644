#!/usr/bin/env bash
# The end-to-end tests (the `tests/` crate): builds the binaries that ship
# (the static function and seal tool the deploy hooks use, the static
# daemon of the image), then runs every test of the crate against them.
# LocalStack, the Runtime API emulator, the stand-in gateway and the daemons
# are started by the tests on 127.0.0.1 and stopped when they end.
#
#   scripts/test-e2e.sh [TEST FILTER]
#
# Needs the tools of `scripts/tools.sh py localstack`, which it installs.
# The container tests build their images from these binaries when `docker
# info` succeeds and print SKIPPED otherwise.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/tools.sh py
scripts/tools.sh localstack

RATCHET_E2E_ARTIFACTS=$(localstack/build-artifacts.sh | tail -n 1)
RATCHET_E2E_DAEMON=$(scripts/build-daemon.sh | tail -n 1)
export RATCHET_E2E_ARTIFACTS RATCHET_E2E_DAEMON

# Two tests at a time: each starts its own function, gateway and daemons,
# and they share one LocalStack; more would only queue on two cores.
cargo test -p ratchet-e2e --locked -- --include-ignored --test-threads 2 "$@"
