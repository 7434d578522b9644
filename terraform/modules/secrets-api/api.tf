# Both flavours serve GET /v1/profiles/{profile} at the root of their stage,
# the path daemons and the function agree on. A REST API holds one GET per
# path, so each flavour is its own API, identical but for how callers
# authenticate.
locals {
  flavours = {
    iam = {
      authorization    = "AWS_IAM"
      api_key_required = false
      description      = "callers sign requests with SigV4"
    }
    key = {
      authorization    = "NONE"
      api_key_required = true
      description      = "callers send an API key"
    }
  }

  api_policies = {
    iam = data.aws_iam_policy_document.iam_api.json
    key = data.aws_iam_policy_document.key_api.json
  }
}

resource "aws_api_gateway_rest_api" "this" {
  for_each = local.flavours

  name           = "${var.name}-${each.key}"
  description    = "Ratchet profiles of ${var.name}; ${each.value.description}."
  api_key_source = "HEADER"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "v1" {
  for_each = local.flavours

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
  parent_id   = aws_api_gateway_rest_api.this[each.key].root_resource_id
  path_part   = "v1"
}

resource "aws_api_gateway_resource" "profiles" {
  for_each = local.flavours

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
  parent_id   = aws_api_gateway_resource.v1[each.key].id
  path_part   = "profiles"
}

resource "aws_api_gateway_resource" "profile" {
  for_each = local.flavours

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
  parent_id   = aws_api_gateway_resource.profiles[each.key].id
  path_part   = "{profile}"
}

resource "aws_api_gateway_request_validator" "this" {
  for_each = local.flavours

  rest_api_id                 = aws_api_gateway_rest_api.this[each.key].id
  name                        = "path-parameters"
  validate_request_parameters = true
  validate_request_body       = false
}

resource "aws_api_gateway_method" "get_profile" {
  for_each = local.flavours

  rest_api_id          = aws_api_gateway_rest_api.this[each.key].id
  resource_id          = aws_api_gateway_resource.profile[each.key].id
  http_method          = "GET"
  authorization        = each.value.authorization
  api_key_required     = each.value.api_key_required
  request_validator_id = aws_api_gateway_request_validator.this[each.key].id

  request_parameters = {
    "method.request.path.profile" = true
  }
}

resource "aws_api_gateway_integration" "get_profile" {
  for_each = local.flavours

  rest_api_id             = aws_api_gateway_rest_api.this[each.key].id
  resource_id             = aws_api_gateway_resource.profile[each.key].id
  http_method             = aws_api_gateway_method.get_profile[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.this.invoke_arn
}

resource "aws_api_gateway_rest_api_policy" "this" {
  for_each = local.flavours

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
  policy      = local.api_policies[each.key]
}

locals {
  iam_readers = {
    for profile, principals in var.profile_iam_principals : profile => principals if length(principals) > 0
  }
  iam_reader_list = [
    for index, profile in sort(keys(local.iam_readers)) : {
      index      = index
      profile    = profile
      principals = local.iam_readers[profile]
    }
  ]
  all_iam_readers = distinct(flatten(values(local.iam_readers)))
}

# Each profile is readable by its listed principals alone, whatever IAM
# policies elsewhere say; the function checks the same list again.
data "aws_iam_policy_document" "iam_api" {
  dynamic "statement" {
    for_each = local.iam_reader_list

    content {
      sid       = "AllowReadersOfProfile${statement.value.index}"
      actions   = ["execute-api:Invoke"]
      resources = ["${aws_api_gateway_rest_api.this["iam"].execution_arn}/${var.stage_name}/GET/v1/profiles/${statement.value.profile}"]

      principals {
        type        = "AWS"
        identifiers = statement.value.principals
      }
    }
  }

  dynamic "statement" {
    for_each = local.iam_reader_list

    content {
      sid       = "DenyOthersProfile${statement.value.index}"
      effect    = "Deny"
      actions   = ["execute-api:Invoke"]
      resources = ["${aws_api_gateway_rest_api.this["iam"].execution_arn}/*/GET/v1/profiles/${statement.value.profile}"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotLike"
        variable = "aws:PrincipalArn"
        values   = statement.value.principals
      }
    }
  }

  statement {
    sid       = "DenyUnlistedCallers"
    effect    = "Deny"
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.this["iam"].execution_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    dynamic "condition" {
      for_each = length(local.all_iam_readers) > 0 ? [1] : []

      content {
        test     = "ArnNotLike"
        variable = "aws:PrincipalArn"
        values   = local.all_iam_readers
      }
    }
  }
}

# With a resource policy in place, a method without IAM auth needs an
# explicit allow; the API key and the function's access map do the rest.
data "aws_iam_policy_document" "key_api" {
  statement {
    sid       = "AllowApiKeyCallers"
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.this["key"].execution_arn}/${var.stage_name}/GET/v1/profiles/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.api_key_allowed_cidrs) > 0 ? [1] : []

    content {
      sid       = "DenyOtherSources"
      effect    = "Deny"
      actions   = ["execute-api:Invoke"]
      resources = ["${aws_api_gateway_rest_api.this["key"].execution_arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "NotIpAddress"
        variable = "aws:SourceIp"
        values   = var.api_key_allowed_cidrs
      }
    }
  }
}

# A deployment is a snapshot: any change to the route, its integration or the
# resource policy needs a new one before callers see it.
resource "aws_api_gateway_deployment" "this" {
  for_each = local.flavours

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
  description = "Routes and policy of ${var.name}-${each.key}."

  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.profile[each.key].id,
      aws_api_gateway_method.get_profile[each.key].id,
      aws_api_gateway_method.get_profile[each.key].authorization,
      aws_api_gateway_method.get_profile[each.key].api_key_required,
      aws_api_gateway_method.get_profile[each.key].request_parameters,
      aws_api_gateway_integration.get_profile[each.key].id,
      aws_api_gateway_integration.get_profile[each.key].uri,
      aws_api_gateway_rest_api_policy.this[each.key].policy,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:responses carry decrypted secrets and must never sit in a cache
  #checkov:skip=CKV2_AWS_29:the function admits only callers in its access map; WAF (from $5 a month plus $1 a rule) is left to the deployment
  #checkov:skip=CKV2_AWS_51:client certificates authenticate API Gateway to HTTP backends; the backend here is a Lambda proxy
  #checkov:skip=CKV2_AWS_4:execution logging is on (execution_logging_level); only per-method metrics are off, as they repeat the free stage metrics
  for_each = local.flavours

  rest_api_id          = aws_api_gateway_rest_api.this[each.key].id
  deployment_id        = aws_api_gateway_deployment.this[each.key].id
  stage_name           = var.stage_name
  description          = "Serves ${var.name} profiles; ${each.value.description}."
  xray_tracing_enabled = var.tracing_enabled

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[each.key].arn
    format          = local.access_log_format
  }

  tags = var.tags

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "this" {
  #checkov:skip=CKV_AWS_225:responses carry decrypted secrets and must never sit in a cache
  for_each = local.flavours

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
  stage_name  = aws_api_gateway_stage.this[each.key].stage_name
  method_path = "*/*"

  # Per-method metrics would repeat the free per-stage ones (there is one
  # method) at $0.30 a metric a month.
  settings {
    metrics_enabled        = false
    logging_level          = var.execution_logging_level
    data_trace_enabled     = false
    caching_enabled        = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }
}

resource "aws_api_gateway_usage_plan" "consumers" {
  name        = "${var.name}-consumers"
  description = "Throttles each API key of ${var.name}."

  api_stages {
    api_id = aws_api_gateway_rest_api.this["key"].id
    stage  = aws_api_gateway_stage.this["key"].stage_name
  }

  throttle_settings {
    rate_limit  = var.api_key_rate_limit
    burst_limit = var.api_key_burst_limit
  }

  dynamic "quota_settings" {
    for_each = var.api_key_daily_quota == null ? [] : [var.api_key_daily_quota]

    content {
      limit  = quota_settings.value
      period = "DAY"
    }
  }

  tags = var.tags
}

resource "aws_api_gateway_api_key" "consumer" {
  for_each = local.api_key_consumers

  name        = "${var.name}-${each.key}"
  description = "API key of ${each.key} for ${var.name} profiles."
  enabled     = true
  tags        = var.tags
}

resource "aws_api_gateway_usage_plan_key" "consumer" {
  for_each = local.api_key_consumers

  key_id        = aws_api_gateway_api_key.consumer[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.consumers.id
}
