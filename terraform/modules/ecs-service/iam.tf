# The task role is assumed on behalf of tasks of this account only.
data "aws_iam_policy_document" "task_assume" {
  statement {
    sid     = "EcsTasksAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "Role of the ${var.name} containers; the sidecar reads profile ${var.ratchet_profile} with it."
  assume_role_policy = data.aws_iam_policy_document.task_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "task" {
  count = var.ratchet_auth == "iam" ? 1 : 0

  name   = "read-profile"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task[0].json
}

# The sidecar may fetch its own profile and no other, on the IAM flavour only.
data "aws_iam_policy_document" "task" {
  count = var.ratchet_auth == "iam" ? 1 : 0

  statement {
    sid       = "ReadOwnProfile"
    actions   = ["execute-api:Invoke"]
    resources = ["${var.ratchet_api_execution_arn}/${var.ratchet_stage_name}/GET/v1/profiles/${var.ratchet_profile}"]
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "Lets ECS pull the ${var.name} images, write its logs and fetch the sidecar's API key."
  assume_role_policy = data.aws_iam_policy_document.execution_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "execution_assume" {
  statement {
    sid     = "EcsTasksAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "start-task"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []

    content {
      sid       = "AuthenticateToEcr"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []

    content {
      sid       = "PullImages"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = var.ecr_repository_arns
    }
  }

  dynamic "statement" {
    for_each = var.ratchet_api_key_secret_arn == null ? [] : [var.ratchet_api_key_secret_arn]

    content {
      sid       = "ReadApiKey"
      actions   = strcontains(statement.value, ":ssm:") ? ["ssm:GetParameters"] : ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.ratchet_api_key_secret_kms_key_arn == null ? [] : [var.ratchet_api_key_secret_kms_key_arn]

    content {
      sid       = "DecryptApiKey"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
