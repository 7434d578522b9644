output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "function_role_arn" {
  description = "ARN of the function's role, the only principal that may unseal profiles."
  value       = aws_iam_role.function.arn
}

output "function_log_group_name" {
  description = "Name of the log group holding the function's audit lines."
  value       = aws_cloudwatch_log_group.function.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key profiles are sealed with."
  value       = aws_kms_key.profiles.arn
}

output "kms_alias_name" {
  description = "Alias of the profiles key, the value to pass to `ratchet-seal --key-id`."
  value       = aws_kms_alias.profiles.name
}

output "logs_kms_key_arn" {
  description = "ARN of the KMS key encrypting the log groups and the alarm topic. Its policy admits any log group of this account and region, so other log groups may use it."
  value       = aws_kms_key.logs.arn
}

output "stage_name" {
  description = "Name of the stage of both APIs."
  value       = var.stage_name
}

output "iam_api_id" {
  description = "ID of the IAM-authenticated REST API."
  value       = aws_api_gateway_rest_api.this["iam"].id
}

output "iam_api_execution_arn" {
  description = "Execution ARN of the IAM-authenticated REST API, the prefix of the ARNs that execute-api:Invoke grants name."
  value       = aws_api_gateway_rest_api.this["iam"].execution_arn
}

output "iam_api_invoke_url" {
  description = "Base URL of the IAM-authenticated API (its stage URL), the value of RATCHET_API_URL for daemons with RATCHET_AUTH=iam."
  value       = aws_api_gateway_stage.this["iam"].invoke_url
}

output "key_api_id" {
  description = "ID of the API-key REST API."
  value       = aws_api_gateway_rest_api.this["key"].id
}

output "key_api_execution_arn" {
  description = "Execution ARN of the API-key REST API."
  value       = aws_api_gateway_rest_api.this["key"].execution_arn
}

output "key_api_invoke_url" {
  description = "Base URL of the API-key API (its stage URL), the value of RATCHET_API_URL for daemons with RATCHET_AUTH=api-key."
  value       = aws_api_gateway_stage.this["key"].invoke_url
}

output "api_key_ids" {
  description = "API key IDs by consumer name, as they appear in the access map and in audit lines."
  value       = { for consumer, key in aws_api_gateway_api_key.consumer : consumer => key.id }
}

output "api_key_values" {
  description = "API key values by consumer name, to hand to each consumer."
  value       = { for consumer, key in aws_api_gateway_api_key.consumer : consumer => key.value }
  sensitive   = true
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the access alarms notify."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the access alarms: denials, failures and one read alarm per profile."
  value = concat(
    [aws_cloudwatch_metric_alarm.denials.alarm_name, aws_cloudwatch_metric_alarm.failures.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.reads : alarm.alarm_name],
  )
}

output "metric_namespace" {
  description = "CloudWatch namespace of the Reads, Denials and Failures metrics."
  value       = local.metric_namespace
}
