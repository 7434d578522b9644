#!/usr/bin/env bash
# The KMS key that seals every profile, and its alias alias/$RATCHET_NAME.
# A second run finds the alias and keeps its key.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"

alias_name="alias/$RATCHET_NAME"
key_id=$(text kms list-aliases --query "Aliases[?AliasName=='$alias_name'].TargetKeyId | [0]")
if [[ -z "$key_id" ]]; then
  key_id=$(text kms create-key --description "Ratchet profiles of $RATCHET_NAME" \
    --query KeyMetadata.KeyId)
  aws kms create-alias --alias-name "$alias_name" --target-key-id "$key_id"
  say "created key $key_id as $alias_name"
else
  say "found key $key_id as $alias_name"
fi

key_arn=$(text kms describe-key --key-id "$key_id" --query KeyMetadata.Arn)
write_json "$RATCHET_OUTPUT_DIR/kms.json" key_id="$key_id" key_arn="$key_arn" alias="$alias_name"
