data "aws_caller_identity" "current" {}

# For an assumed role the caller ARN names a session; a key policy needs the
# role behind it.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  admin_principal_arns = length(var.kms_admin_principal_arns) > 0 ? var.kms_admin_principal_arns : [data.aws_iam_session_context.current.issuer_arn]
}

module "secrets_api" {
  source = "../../modules/secrets-api"

  name                 = var.name
  function_zip_path    = var.function_zip_path
  sealed_profiles      = var.sealed_profiles
  admin_principal_arns = local.admin_principal_arns

  profile_iam_principals = {
    (var.profile) = [module.app.task_role_arn]
  }
  profile_api_key_consumers = var.api_key_consumers

  create_api_gateway_logging_role = true
  alarm_email_addresses           = var.alarm_email_addresses
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }
}

module "app" {
  source = "../../modules/ecs-service"

  name               = "${var.name}-app"
  cluster_arn        = aws_ecs_cluster.this.arn
  subnet_ids         = var.subnet_ids
  security_group_ids = var.security_group_ids

  app_image           = var.app_image
  app_command         = var.app_command
  app_user            = var.app_user
  ratchet_image       = var.ratchet_image
  ecr_repository_arns = var.ecr_repository_arns

  ratchet_user              = var.app_user
  ratchet_mode              = "0600"
  ratchet_profile           = var.profile
  ratchet_auth              = "iam"
  ratchet_api_url           = module.secrets_api.iam_api_invoke_url
  ratchet_api_execution_arn = module.secrets_api.iam_api_execution_arn
  ratchet_stage_name        = module.secrets_api.stage_name

  log_kms_key_arn = module.secrets_api.logs_kms_key_arn
}
