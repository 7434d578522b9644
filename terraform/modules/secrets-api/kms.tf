locals {
  # Everything an administrator needs to manage a key, and nothing that uses
  # it: no Encrypt, Decrypt, GenerateDataKey, ReEncrypt or CreateGrant.
  kms_admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]
}

resource "aws_kms_key" "profiles" {
  description             = "Seals the ${var.name} profiles; only the ${var.name} function may unseal them."
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.profiles_key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "profiles" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.profiles.key_id
}

# In a key policy "*" as the resource means the key itself.
data "aws_iam_policy_document" "profiles_key" {
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource is the key it is attached to
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource is the key it is attached to
  statement {
    sid       = "AdministerKey"
    actions   = local.kms_admin_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.admin_principal_arns
    }
  }

  statement {
    sid       = "SealProfiles"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.admin_principal_arns
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:ratchet-format"
      values   = [local.encryption_context_format]
    }

    condition {
      test     = "Null"
      variable = "kms:EncryptionContext:ratchet-profile"
      values   = ["false"]
    }
  }

  statement {
    sid       = "UnsealProfiles"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.function.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:ratchet-format"
      values   = [local.encryption_context_format]
    }

    condition {
      test     = "Null"
      variable = "kms:EncryptionContext:ratchet-profile"
      values   = ["false"]
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "Encrypts the ${var.name} log groups and access alarm topic."
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.logs_key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

data "aws_iam_policy_document" "logs_key" {
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource is the key it is attached to
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource is the key it is attached to
  statement {
    sid       = "AdministerKey"
    actions   = local.kms_admin_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.admin_principal_arns
    }
  }

  statement {
    sid = "EncryptLogGroups"
    actions = [
      "kms:Decrypt*",
      "kms:Describe*",
      "kms:Encrypt*",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  statement {
    sid       = "PublishAlarms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}
