#!/usr/bin/env bash
# IAM roles: the function's execution role, allowed to decrypt with the key
# only under Ratchet's encryption context, and one role per reader named in
# readers.json (`$RATCHET_NAME-<role>`), which ECS tasks and this account may
# assume. Roles that exist are kept; their policies are written again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"

key_arn=$(json_get "$RATCHET_OUTPUT_DIR/kms.json" key_arn)
account_id=$(account)

# ensure_role NAME TRUST_POLICY creates the role unless it exists; prints its ARN.
ensure_role() {
  local arn
  arn=$(text iam get-role --role-name "$1" --query Role.Arn 2>/dev/null || true)
  if [[ -z "$arn" ]]; then
    arn=$(text iam create-role --role-name "$1" --assume-role-policy-document "$2" --query Role.Arn)
    say "created role $1"
  fi
  printf '%s' "$arn"
}

function_role="$RATCHET_NAME-function"
function_role_arn=$(ensure_role "$function_role" '{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}')
aws iam put-role-policy --role-name "$function_role" --policy-name unseal --policy-document "{
  \"Version\": \"2012-10-17\",
  \"Statement\": [{
    \"Sid\": \"UnsealProfiles\",
    \"Effect\": \"Allow\",
    \"Action\": \"kms:Decrypt\",
    \"Resource\": \"$key_arn\",
    \"Condition\": {
      \"StringEquals\": {\"kms:EncryptionContext:ratchet-format\": \"1\"},
      \"Null\": {\"kms:EncryptionContext:ratchet-profile\": \"false\"}
    }
  }]
}"

# One role per reader named in readers.json.
reader_trust="{
  \"Version\": \"2012-10-17\",
  \"Statement\": [
    {\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"ecs-tasks.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\"},
    {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::$account_id:root\"}, \"Action\": \"sts:AssumeRole\"}
  ]
}"
outputs=("function_role_arn=$function_role_arn")
for role in $(reader_names roles); do
  outputs+=("roles.$role=$(ensure_role "$RATCHET_NAME-$role" "$reader_trust")")
done

write_json "$RATCHET_OUTPUT_DIR/iam.json" "${outputs[@]}"
say "roles ready: ${#outputs[@]} (the function's and the readers')"
