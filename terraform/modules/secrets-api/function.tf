resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes the function synchronously; a dead-letter queue only receives failed asynchronous events
  #checkov:skip=CKV_AWS_117:the function talks to KMS and CloudWatch only; a VPC would add NAT or endpoints and protect nothing
  #checkov:skip=CKV_AWS_173:the variables are KMS ciphertext already, sealed under the profiles key; Lambda's own key encrypts them at rest
  #checkov:skip=CKV_AWS_272:the zip is built and checked by the project's build; source_code_hash pins the deployed code to it
  function_name    = var.name
  description      = "Serves Ratchet profiles, unsealing one per request."
  role             = aws_iam_role.function.arn
  filename         = var.function_zip_path
  source_code_hash = filebase64sha256(var.function_zip_path)
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["x86_64"]
  memory_size      = var.memory_size
  timeout          = var.timeout

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = local.function_environment
  }

  tracing_config {
    mode = var.tracing_enabled ? "Active" : "PassThrough"
  }

  tags = var.tags

  # The log group must exist, encrypted and with its retention, before the
  # function's first line would create it without either.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = sum([for name, value in local.function_environment : length(name) + length(value)]) <= 4096
      error_message = "The sealed profiles and the access map exceed the 4 KB Lambda allows for environment variables; move some profiles to another deployment."
    }
  }
}

resource "aws_lambda_permission" "api" {
  for_each = local.flavours

  statement_id  = "InvokeFrom${title(each.key)}Api"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this[each.key].execution_arn}/${var.stage_name}/GET/v1/profiles/*"
}
