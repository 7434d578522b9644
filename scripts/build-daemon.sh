#!/usr/bin/env bash
# Builds the daemon as the image ships it: a static binary with the
# `sidecar` profile (smallest code, no unwinding), and prints its path as
# the last line of stdout.
#
#   scripts/build-daemon.sh
set -euo pipefail

"$(dirname "${BASH_SOURCE[0]}")/build-static.sh" sidecar ratchet-daemon ratchet
