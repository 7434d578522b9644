#!/usr/bin/env bash
# The REST API, in two flavours that differ only in how callers prove who
# they are, each serving GET /v1/profiles/{profile} at stage `prod` through
# an AWS_PROXY integration with the function:
#   $RATCHET_NAME-key   callers send an API key (x-api-key); a usage plan
#                       holds one key per consumer named in readers.json
#   $RATCHET_NAME-iam   callers sign with SigV4 (AWS_IAM); each reader role
#                       may invoke the profiles readers.json grants it
# LocalStack gives each API its name as id (the `_custom_id_` tag), so stage
# URLs are known before the first run. A second run finds everything by
# name, adds what is missing and deploys the stages again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"

stage=prod
account_id=$(account)
function_arn="arn:aws:lambda:$AWS_REGION:$account_id:function:$RATCHET_NAME"
integration_uri="arn:aws:apigateway:$AWS_REGION:lambda:path/2015-03-31/functions/$function_arn/invocations"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# lookup JSON_FILE LIST FIELD VALUE [WANT] prints WANT (default `id`) of the
# first item of LIST whose FIELD is VALUE, or nothing.
lookup() {
  python3 -c '
import json, sys
path, items, field, value, want = sys.argv[1:6]
for item in json.load(open(path)).get(items, []):
    if item.get(field) == value:
        print(item.get(want, "")); break
' "$1" "$2" "$3" "$4" "${5:-id}"
}

# ensure_api FLAVOUR AUTHORIZATION KEY_REQUIRED prints the id of a deployed
# API of that flavour.
ensure_api() {
  local name="$RATCHET_NAME-$1" id parent path resource part
  id=$(lookup "$work/apis.json" items name "$name")
  if [[ -z "$id" ]]; then
    id=$(text apigateway create-rest-api --name "$name" --api-key-source HEADER \
      --description "Ratchet profiles of $RATCHET_NAME ($1)" \
      --endpoint-configuration types=REGIONAL --tags "_custom_id_=$name" --query id)
    say "created API $name ($id)"
  fi

  # The path, one resource per segment, created where missing.
  aws --output json apigateway get-resources --rest-api-id "$id" --embed methods \
    >"$work/resources.json"
  parent=$(lookup "$work/resources.json" items path /)
  path=""
  for part in v1 profiles '{profile}'; do
    path="$path/$part"
    resource=$(lookup "$work/resources.json" items path "$path")
    if [[ -z "$resource" ]]; then
      resource=$(text apigateway create-resource --rest-api-id "$id" --parent-id "$parent" \
        --path-part "$part" --query id)
    fi
    parent=$resource
  done

  if [[ -z "$(lookup "$work/resources.json" items path "$path" resourceMethods)" ]]; then
    aws apigateway put-method --rest-api-id "$id" --resource-id "$resource" --http-method GET \
      --authorization-type "$2" "$3" \
      --request-parameters method.request.path.profile=true >/dev/null
  fi
  aws apigateway put-integration --rest-api-id "$id" --resource-id "$resource" \
    --http-method GET --type AWS_PROXY --integration-http-method POST \
    --uri "$integration_uri" >/dev/null
  aws apigateway create-deployment --rest-api-id "$id" --stage-name "$stage" \
    --description "ratchet-deploy" >/dev/null
  printf '%s' "$id"
}

aws --output json apigateway get-rest-apis >"$work/apis.json"
key_api=$(ensure_api key NONE --api-key-required)
iam_api=$(ensure_api iam AWS_IAM --no-api-key-required)
outputs=(
  "stage=$stage"
  "function_arn=$function_arn"
  "apis.key.id=$key_api"
  "apis.key.url=$AWS_ENDPOINT_URL/_aws/execute-api/$key_api/$stage"
  "apis.iam.id=$iam_api"
  "apis.iam.url=$AWS_ENDPOINT_URL/_aws/execute-api/$iam_api/$stage"
)

# The usage plan of the key API, and one key per consumer in it.
aws --output json apigateway get-usage-plans >"$work/plans.json"
plan_id=$(lookup "$work/plans.json" items name "$RATCHET_NAME")
if [[ -z "$plan_id" ]]; then
  plan_id=$(text apigateway create-usage-plan --name "$RATCHET_NAME" \
    --api-stages "apiId=$key_api,stage=$stage" --throttle burstLimit=20,rateLimit=10 --query id)
fi
outputs+=("usage_plan_id=$plan_id")
aws --output json apigateway get-api-keys --include-values >"$work/keys.json"
aws --output json apigateway get-usage-plan-keys --usage-plan-id "$plan_id" >"$work/plan-keys.json"
for consumer in $(reader_names api_keys); do
  key_name="$RATCHET_NAME-$consumer"
  key_id=$(lookup "$work/keys.json" items name "$key_name")
  key_source="$work/keys.json"
  if [[ -z "$key_id" ]]; then
    aws --output json apigateway create-api-key --name "$key_name" --enabled \
      | python3 -c 'import json, sys; print(json.dumps({"items": [json.load(sys.stdin)]}))' \
        >"$work/new-key.json"
    key_source="$work/new-key.json"
    key_id=$(lookup "$key_source" items name "$key_name")
    say "created API key $key_name ($key_id)"
  fi
  if [[ -z "$(lookup "$work/plan-keys.json" items id "$key_id")" ]]; then
    aws apigateway create-usage-plan-key --usage-plan-id "$plan_id" --key-id "$key_id" \
      --key-type API_KEY >/dev/null
  fi

  # The key's value, for the daemon: readable by the owner and the daemon's group only.
  key_file="$RATCHET_OUTPUT_DIR/api-key-$consumer"
  (umask 077 && lookup "$key_source" items id "$key_id" value >"$key_file.tmp")
  if [[ $(id -u) == 0 ]]; then
    chgrp "$RATCHET_API_KEY_GID" "$key_file.tmp"
    chmod 0640 "$key_file.tmp"
  fi
  mv "$key_file.tmp" "$key_file"
  outputs+=("api_keys.$consumer=$key_id")
done

# Each reader role may invoke the IAM API for the profiles granted to it.
for role in $(reader_names roles); do
  policy=$(python3 -c '
import json, sys
grants, role, prefix = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
print(json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "ReadProfiles", "Effect": "Allow", "Action": "execute-api:Invoke",
    "Resource": [prefix + p for p, g in sorted(grants.items()) if role in g.get("roles", [])]}]}))
' "$RATCHET_STACK_DIR/readers.json" "$role" \
    "arn:aws:execute-api:$AWS_REGION:$account_id:$iam_api/$stage/GET/v1/profiles/")
  aws iam put-role-policy --role-name "$RATCHET_NAME-$role" --policy-name read-profiles \
    --policy-document "$policy"
done

write_json "$RATCHET_OUTPUT_DIR/api.json" "${outputs[@]}"
say "APIs ready: $key_api (API key), $iam_api (IAM), stage $stage"
