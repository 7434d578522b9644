resource "aws_iam_role" "function" {
  name               = "${var.name}-function"
  description        = "Runs the ${var.name} function: unseals profiles and writes the audit log."
  assume_role_policy = data.aws_iam_policy_document.function_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "function_assume" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "unseal-and-log"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "UnsealProfiles"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.profiles.arn]

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
    sid       = "WriteAuditLog"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.tracing_enabled ? [1] : []

    content {
      sid       = "SendTraces"
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "api_gateway_logging" {
  count = var.create_api_gateway_logging_role ? 1 : 0

  name               = "${var.name}-api-gateway-logging"
  description        = "Lets API Gateway write execution and access logs in this account and region."
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "api_gateway_assume" {
  statement {
    sid     = "ApiGatewayAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "api_gateway_logging" {
  count = var.create_api_gateway_logging_role ? 1 : 0

  name   = "write-logs"
  role   = aws_iam_role.api_gateway_logging[0].id
  policy = data.aws_iam_policy_document.api_gateway_logging.json
}

data "aws_iam_policy_document" "api_gateway_logging" {
  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }

  statement {
    sid = "WriteLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
  }
}
