data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Profile names are not secret; only the sealed values are kept out of
  # plan output.
  profiles = nonsensitive(toset(keys(var.sealed_profiles)))

  readable_profiles = setunion(keys(var.profile_iam_principals), keys(var.profile_api_key_consumers))
  api_key_consumers = toset(flatten(values(var.profile_api_key_consumers)))

  # The access map the function enforces, deny by default: a profile absent
  # from it, or a caller absent from its entry, is refused.
  access = {
    for profile in local.readable_profiles : profile => {
      principals = lookup(var.profile_iam_principals, profile, [])
      api_keys   = [for consumer in lookup(var.profile_api_key_consumers, profile, []) : aws_api_gateway_api_key.consumer[consumer].id]
    }
  }

  function_environment = merge(
    var.function_environment,
    { for profile, sealed in var.sealed_profiles : "RATCHET_PROFILE_${upper(replace(profile, "-", "_"))}" => sealed },
    { RATCHET_ACCESS = jsonencode(local.access) },
  )

  # The encryption context every seal and unseal carries. The format is
  # pinned; the profile must be present, and the function checks it matches
  # the profile it opens.
  encryption_context_format = "1"
}

check "readable_profiles_are_sealed" {
  assert {
    condition     = length(setsubtract(local.readable_profiles, local.profiles)) == 0
    error_message = "Some profiles have readers but no sealed value, so every read of them is refused: ${join(", ", sort(setsubtract(local.readable_profiles, local.profiles)))}."
  }
}
