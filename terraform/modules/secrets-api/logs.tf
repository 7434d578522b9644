# Lambda writes to /aws/lambda/<function name>; creating it here gives the
# audit log its retention and encryption from the first line.
resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "access" {
  for_each = local.flavours

  name              = "/aws/apigateway/${var.name}-${each.key}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = var.tags
}

# API Gateway names its execution log groups itself; creating them first
# gives them retention and encryption.
resource "aws_cloudwatch_log_group" "execution" {
  for_each = var.execution_logging_level == "OFF" ? {} : local.flavours

  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this[each.key].id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = var.tags
}

# Destroying this leaves the account setting in place, naming a role that no
# longer exists; API Gateway logging in the region stops until another role is
# set.
resource "aws_api_gateway_account" "this" {
  count = var.create_api_gateway_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_logging[0].arn

  depends_on = [aws_iam_role_policy.api_gateway_logging]
}

locals {
  # One JSON line per request. It names the caller (IAM ARN or API key id,
  # never the key itself) and joins the function's audit line by requestId.
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    extendedRequestId  = "$context.extendedRequestId"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    resourcePath       = "$context.resourcePath"
    path               = "$context.path"
    protocol           = "$context.protocol"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    sourceIp           = "$context.identity.sourceIp"
    userAgent          = "$context.identity.userAgent"
    userArn            = "$context.identity.userArn"
    apiKeyId           = "$context.identity.apiKeyId"
    integrationStatus  = "$context.integration.status"
    integrationLatency = "$context.integration.latency"
    errorMessage       = "$context.error.message"
  })
}
