#!/usr/bin/env bash
# Checks the local trial without running it (its images cannot be pulled on
# a machine without a registry): the compose tool validates compose.yaml,
# then the file is held to what the trial promises, and every deploy hook
# is checked for syntax and strict mode.
#
#   scripts/test-compose.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/tools.sh py
python="${RATCHET_TOOLS_DIR:-$root/.tools}/py/bin/python"

# The compose tool's own validation, with whichever tool is installed.
if docker compose version >/dev/null 2>&1; then
  docker compose -f compose.yaml config --quiet
  echo "test-compose: docker compose validated compose.yaml"
elif command -v docker-compose >/dev/null; then
  docker-compose -f compose.yaml config --quiet
  echo "test-compose: docker-compose validated compose.yaml"
else
  echo "test-compose: SKIPPED the compose tool's validation: neither 'docker compose' nor docker-compose is installed"
fi

# What the trial promises of itself.
"$python" - compose.yaml <<'PY'
import sys

import yaml

services = yaml.safe_load(open(sys.argv[1]))["services"]
problems = []
for name, service in services.items():
    image = service.get("image", "")
    tag = image.rsplit(":", 1)[1] if ":" in image else ""
    if not tag or tag == "latest":
        problems.append(f"{name}: image {image!r} is not pinned to a version")
    for port in service.get("ports", []):
        if not str(port).startswith("127.0.0.1:"):
            problems.append(f"{name}: port {port!r} is not bound to 127.0.0.1")
    if isinstance(service.get("environment", {}), list):
        problems.append(f"{name}: list-form environment keeps quotes in values; use a map")
    for dependency, condition in (service.get("depends_on") or {}).items():
        if not isinstance(condition, dict) or "condition" not in condition:
            problems.append(f"{name}: depends on {dependency} without a condition")
    one_shot = any(
        (other.get("depends_on") or {}).get(name, {}).get("condition")
        == "service_completed_successfully"
        for other in services.values()
    )
    if not one_shot and "healthcheck" not in service:
        problems.append(f"{name}: a long-running service without a healthcheck")
for problem in problems:
    print(f"test-compose: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"test-compose: {len(services)} services pinned, bound to 127.0.0.1, health-checked")
PY

# Every hook: executable, strict, and valid bash.
for hook in localstack/ready.d/*.sh localstack/build-artifacts.sh; do
  [[ -x "$hook" ]] || { echo "test-compose: $hook is not executable" >&2; exit 1; }
  grep -q '^set -euo pipefail$' "$hook" || {
    echo "test-compose: $hook does not set -euo pipefail" >&2
    exit 1
  }
  bash -n "$hook"
done
bash -n localstack/lib/common.bash
echo "test-compose: hooks are executable, strict and parse"
