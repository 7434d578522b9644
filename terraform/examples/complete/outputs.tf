output "kms_alias_name" {
  description = "Key to seal profiles with: `ratchet-seal --key-id <this>`."
  value       = module.secrets_api.kms_alias_name
}

output "iam_api_invoke_url" {
  description = "Base URL for daemons that authenticate with IAM."
  value       = module.secrets_api.iam_api_invoke_url
}

output "key_api_invoke_url" {
  description = "Base URL for daemons that authenticate with an API key."
  value       = module.secrets_api.key_api_invoke_url
}

output "api_key_values" {
  description = "API key values by consumer name; read with `terraform output -json api_key_values`."
  value       = module.secrets_api.api_key_values
  sensitive   = true
}

output "function_name" {
  description = "Name of the function."
  value       = module.secrets_api.function_name
}

output "function_log_group_name" {
  description = "Log group of the function's audit lines."
  value       = module.secrets_api.function_log_group_name
}

output "alarm_topic_arn" {
  description = "SNS topic of the access alarms."
  value       = module.secrets_api.alarm_topic_arn
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "Name of the example service."
  value       = module.app.service_name
}

output "task_role_arn" {
  description = "ARN of the example service's task role, the reader of the profile."
  value       = module.app.task_role_arn
}
