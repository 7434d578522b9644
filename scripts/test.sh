#!/usr/bin/env bash
# Runs every test, installing what it needs first. The README's test command.
#
#   scripts/test.sh
#
# Needs: a Rust toolchain (cargo, rustfmt, clippy), Python 3 with venv,
# Python 3.13 for LocalStack, Terraform, git. Installs the rest into
# $RATCHET_TOOLS_DIR (default .tools/): moto, LocalStack, python-dotenv,
# node, cargo-lambda, checkov. Docker is used when `docker info` succeeds;
# the compose file is validated where docker-compose or `docker compose` is
# installed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
started=$SECONDS
step() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - started)); }

step "tools"
scripts/tools.sh all

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "unit, integration, loader, emulator and stress tests"
cargo test --workspace --exclude ratchet-e2e --locked -- --include-ignored

step "daemon benchmark (short)"
daemon=$(scripts/build-daemon.sh | tail -n 1)
# In a PID namespace of its own, as in a task, when this user may make one.
isolate=()
if unshare --pid --fork --mount-proc true 2>/dev/null; then
  isolate=(unshare --pid --fork --mount-proc)
fi
for api in "" "--delay-ms 5"; do
  # shellcheck disable=SC2086 # $api is two words or none
  "${isolate[@]}" env RATCHET_BENCH_DAEMON="$daemon" \
    cargo bench -p ratchet-daemon --bench read --locked -- --quick $api
done

step "function zip and benchmark (short)"
scripts/test-function.sh

step "terraform"
RATCHET_FUNCTION_ZIP=$(scripts/build-function.sh | tail -n 1) scripts/test-terraform.sh

step "end to end"
scripts/test-e2e.sh

step "compose file"
scripts/test-compose.sh

step "done"
