#!/usr/bin/env bash
# The function, $RATCHET_NAME: seals every profile in profiles/<name>.env
# with ratchet-seal, builds the access map from readers.json and the ids
# made by the earlier hooks, and gives the function that environment
# (creating it from bootstrap.zip on the first run). Running it again is a
# rotation: the same variables are sealed anew, or new values if the files
# changed, and the function's environment is replaced as a whole.
#
# The profile files are read once each and never copied: they may be FIFOs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"

seal="$RATCHET_ARTIFACTS/ratchet-seal"
zip="$RATCHET_ARTIFACTS/bootstrap.zip"
[[ -x "$seal" ]] || { say "$seal is missing; build it with localstack/build-artifacts.sh"; exit 1; }
[[ -f "$zip" ]] || { say "$zip is missing; build it with localstack/build-artifacts.sh"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/sealed"

# Seal each profile. Only sealed values reach the disk, in $work.
shopt -s nullglob
inputs=("$RATCHET_STACK_DIR"/profiles/*.env)
[[ ${#inputs[@]} -gt 0 ]] || { say "no profiles in $RATCHET_STACK_DIR/profiles/"; exit 1; }
for input in "${inputs[@]}"; do
  profile=$(basename "$input" .env)
  "$seal" --profile "$profile" --key-id "alias/$RATCHET_NAME" --input "$input" \
    >"$work/sealed/$profile"
done

# The environment: every sealed profile, and who may read which.
python3 - "$RATCHET_STACK_DIR/readers.json" "$RATCHET_OUTPUT_DIR" "$work/sealed" \
  >"$work/environment.json" <<'PY'
import json
import os
import sys

readers, outputs, sealed_dir = sys.argv[1:4]
grants = json.load(open(readers))
roles = json.load(open(os.path.join(outputs, "iam.json"))).get("roles", {})
keys = json.load(open(os.path.join(outputs, "api.json"))).get("api_keys", {})
access = {
    profile: {
        "principals": [roles[r] for r in grant.get("roles", [])],
        "api_keys": [keys[k] for k in grant.get("api_keys", [])],
    }
    for profile, grant in sorted(grants.items())
}
variables = {"RATCHET_ACCESS": json.dumps(access, separators=(",", ":"), sort_keys=True)}
for profile in sorted(os.listdir(sealed_dir)):
    name = "RATCHET_PROFILE_" + profile.upper().replace("-", "_")
    variables[name] = open(os.path.join(sealed_dir, profile)).read().strip()
json.dump({"Variables": variables}, sys.stdout)
PY

function_role_arn=$(json_get "$RATCHET_OUTPUT_DIR/iam.json" function_role_arn)
case "$(uname -m)" in
  aarch64 | arm64) architecture=arm64 ;;
  *) architecture=x86_64 ;;
esac

# settle writes the function's configuration to $work/config.json once it
# is no longer Pending (nothing when there is no function), and prints its state.
settle() {
  local state=""
  for _ in $(seq 300); do
    aws --output json lambda get-function-configuration --function-name "$RATCHET_NAME" \
      >"$work/config.json" 2>/dev/null || { rm -f "$work/config.json"; break; }
    state=$(json_get "$work/config.json" State)
    [[ "$state" != Pending ]] && break
    sleep 1
  done
  printf '%s' "$state"
}

state=$(settle)
if [[ -z "$state" ]]; then
  aws lambda create-function --function-name "$RATCHET_NAME" --runtime provided.al2023 \
    --handler bootstrap --architectures "$architecture" --role "$function_role_arn" \
    --timeout 10 --memory-size 128 --zip-file "fileb://$zip" \
    --environment "file://$work/environment.json" >/dev/null
  say "created function $RATCHET_NAME"
elif [[ "$state" == Active ]]; then
  aws lambda update-function-configuration --function-name "$RATCHET_NAME" \
    --environment "file://$work/environment.json" >/dev/null
  aws lambda wait function-updated --function-name "$RATCHET_NAME"
else
  # An emulator that cannot run the function (LocalStack without a container
  # runtime marks it Failed) still stores the new configuration but answers
  # the update with an error, since it cannot restart what never ran. The
  # read-back below is what decides.
  AWS_MAX_ATTEMPTS=1 aws lambda update-function-configuration --function-name "$RATCHET_NAME" \
    --environment "file://$work/environment.json" >/dev/null 2>"$work/update.log" ||
    say "the emulator answered the update with: $(tail -n 1 "$work/update.log")"
fi

# Read the configuration back: its environment must be exactly the one built.
state=$(settle)
python3 - "$work/environment.json" "$work/config.json" <<'PY'
import json
import sys

wanted, config = (json.load(open(path)) for path in sys.argv[1:3])
stored = config.get("Environment", {}).get("Variables", {})
if stored != wanted["Variables"]:
    names = sorted(set(wanted["Variables"]) ^ set(stored))
    sys.exit(f"the function's environment is not the one deployed (differing names: {names or 'none, values differ'})")
PY
if [[ "$state" != Active ]]; then
  say "the function is $state here: $(json_get "$work/config.json" StateReason)"
fi

# API Gateway may invoke the function, from either API.
policy=$(text lambda get-policy --function-name "$RATCHET_NAME" --query Policy 2>/dev/null || true)
for flavour in key iam; do
  sid="$RATCHET_NAME-$flavour"
  if [[ "$policy" != *"\"$sid\""* ]]; then
    aws lambda add-permission --function-name "$RATCHET_NAME" --statement-id "$sid" \
      --action lambda:InvokeFunction --principal apigateway.amazonaws.com \
      --source-arn "arn:aws:execute-api:$AWS_REGION:$(account):$(json_get \
        "$RATCHET_OUTPUT_DIR/api.json" apis "$flavour" id)/*/GET/v1/profiles/*" >/dev/null
  fi
done

outputs=(
  "function_name=$RATCHET_NAME"
  "function_arn=$(json_get "$work/config.json" FunctionArn)"
  "state=$state"
)
for sealed in "$work"/sealed/*; do
  version=$(tr -d '[:space:]' <"$sealed" | sha256sum | cut -c1-16)
  outputs+=("versions.$(basename "$sealed")=$version")
done
write_json "$RATCHET_OUTPUT_DIR/function.json" "${outputs[@]}"
say "function $RATCHET_NAME holds ${#inputs[@]} sealed profile(s)"
