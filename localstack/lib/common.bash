# Shared by the hooks in ../ready.d: settings, checks and small helpers.
# Sourced by each hook, never run on its own (LocalStack runs only `*.sh`
# files in ready.d, and this one lives outside it anyway).
#
# Settings, all from the environment:
#   RATCHET_NAME         prefix of every resource (default `ratchet`)
#   RATCHET_STACK_DIR    what to deploy: readers.json and profiles/<name>.env
#   RATCHET_ARTIFACTS    ratchet-seal and bootstrap.zip (localstack/build-artifacts.sh)
#   RATCHET_OUTPUT_DIR   where each step writes what later steps and the
#                        daemon need: <step>.json, api-key-<consumer>
#   RATCHET_API_KEY_GID  group that may read the api-key-* files (default
#                        65532, the daemon image's group)
#   AWS_ENDPOINT_URL     the emulator (default http://localhost:4566, which
#                        is LocalStack itself when a hook runs inside it)
#   AWS_REGION           default us-east-1

RATCHET_NAME="${RATCHET_NAME:-ratchet}"
RATCHET_STACK_DIR="${RATCHET_STACK_DIR:?set RATCHET_STACK_DIR to the folder holding readers.json and profiles/}"
RATCHET_ARTIFACTS="${RATCHET_ARTIFACTS:?set RATCHET_ARTIFACTS to the folder holding ratchet-seal and bootstrap.zip}"
RATCHET_OUTPUT_DIR="${RATCHET_OUTPUT_DIR:?set RATCHET_OUTPUT_DIR to a writable folder for the deploy outputs}"
RATCHET_API_KEY_GID="${RATCHET_API_KEY_GID:-65532}"

# These hooks only ever talk to an emulator: its endpoint and its dummy
# credentials are the defaults.
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_PAGER=""

mkdir -p "$RATCHET_OUTPUT_DIR"

# say MESSAGE... prints a progress line naming the hook.
say() {
  echo "ratchet-deploy: ${0##*/}: $*" >&2
}

# text ARGS... runs an AWS CLI call and prints its --query result as text,
# with `None` (nothing matched) as an empty string.
text() {
  local out
  out=$(aws --output text "$@")
  [[ "$out" == "None" ]] && out=""
  printf '%s' "$out"
}

# account prints the account id, taken from the key's ARN once 10-kms.sh ran.
account() {
  json_get "$RATCHET_OUTPUT_DIR/kms.json" key_arn | cut -d: -f5
}

# json_get FILE KEY... prints the value at KEY... in a JSON file (`-` reads
# stdin), e.g. `json_get "$RATCHET_OUTPUT_DIR/kms.json" key_arn`; an empty
# string when a key is missing.
json_get() {
  python3 -c '
import json, sys
value = json.load(sys.stdin if sys.argv[1] == "-" else open(sys.argv[1]))
for key in sys.argv[2:]:
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)
' "$@"
}

# reader_names FIELD prints, one a line, every distinct name that
# readers.json lists under FIELD (`roles` or `api_keys`) for any profile.
reader_names() {
  python3 - "$RATCHET_STACK_DIR/readers.json" "$1" <<'PY'
import json
import sys

grants = json.load(open(sys.argv[1]))
for name in sorted({n for grant in grants.values() for n in grant.get(sys.argv[2], [])}):
    print(name)
PY
}

# write_json FILE NAME=VALUE... writes a JSON object of strings; a dotted
# NAME nests (`roles.app-task=arn` gives {"roles": {"app-task": "arn"}}).
write_json() {
  local file=$1
  shift
  python3 - "$@" >"$file.tmp" <<'PY'
import json
import sys

document = {}
for arg in sys.argv[1:]:
    name, value = arg.split("=", 1)
    *parents, leaf = name.split(".")
    node = document
    for parent in parents:
        node = node.setdefault(parent, {})
    node[leaf] = value
json.dump(document, sys.stdout, indent=2, sort_keys=True)
print()
PY
  mv "$file.tmp" "$file"
}
