data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # The FIFO lives on a volume both containers mount; it is task storage, so
  # nothing written there outlives the task.
  volume_name = "ratchet"
  mount_path  = "/run/ratchet"

  ratchet_environment = {
    for name, value in {
      AWS_REGION         = local.region
      RATCHET_API_URL    = var.ratchet_api_url
      RATCHET_AUTH       = var.ratchet_auth
      RATCHET_FORMAT     = var.ratchet_format
      RATCHET_LOG_FORMAT = "json"
      RATCHET_MODE       = var.ratchet_mode
      RATCHET_OWNER      = var.ratchet_owner
      RATCHET_PATH       = "${local.mount_path}/.env"
      RATCHET_PROFILE    = var.ratchet_profile
    } : name => value if value != null
  }

  ratchet_secrets = var.ratchet_auth == "api-key" ? [
    { name = "RATCHET_API_KEY", valueFrom = var.ratchet_api_key_secret_arn },
  ] : []

  ratchet_container = {
    name                   = "ratchet"
    image                  = var.ratchet_image
    user                   = var.ratchet_user
    essential              = true
    readonlyRootFilesystem = true
    environment            = [for name in sort(keys(local.ratchet_environment)) : { name = name, value = local.ratchet_environment[name] }]
    secrets                = local.ratchet_secrets
    mountPoints            = [{ sourceVolume = local.volume_name, containerPath = local.mount_path, readOnly = false }]

    healthCheck = {
      command     = ["CMD", "/ratchet", "health"]
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "ratchet"
      }
    }
  }

  # The app starts only once the sidecar reports healthy, so its first read
  # of the .env finds a FIFO being served. It mounts the volume read-only: it
  # reads the FIFO and never writes there.
  app_container = {
    name                   = "app"
    image                  = var.app_image
    user                   = var.app_user
    essential              = true
    command                = var.app_command
    readonlyRootFilesystem = var.app_readonly_root_filesystem
    environment            = [for name in sort(keys(var.app_environment)) : { name = name, value = var.app_environment[name] }]
    portMappings           = var.app_port == null ? [] : [{ containerPort = var.app_port, protocol = "tcp" }]
    mountPoints            = [{ sourceVolume = local.volume_name, containerPath = local.mount_path, readOnly = true }]
    dependsOn              = [{ containerName = "ratchet", condition = "HEALTHY" }]

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "app"
      }
    }
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  # The containers share one process namespace, so the sidecar can name the
  # process that opened the FIFO in its audit events.
  pid_mode = "task"

  container_definitions = jsonencode([local.app_container, local.ratchet_container])

  volume {
    name = local.volume_name
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.ratchet_auth != "iam" || var.ratchet_api_execution_arn != null
      error_message = "ratchet_api_execution_arn is required when ratchet_auth is iam."
    }

    precondition {
      condition     = var.ratchet_auth != "api-key" || var.ratchet_api_key_secret_arn != null
      error_message = "ratchet_api_key_secret_arn is required when ratchet_auth is api-key."
    }
  }
}
