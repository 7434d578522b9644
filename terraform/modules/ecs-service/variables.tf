variable "name" {
  description = "Name of the service; also names its task family, roles and log group."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,39}$", var.name))
    error_message = "The name must be 1 to 40 lowercase letters, digits or hyphens, starting with a letter or digit."
  }
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the service runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets the tasks run in. They need a route to API Gateway, CloudWatch Logs and the image registries, through NAT or VPC endpoints."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks. The sidecar needs outbound HTTPS (443) to API Gateway."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Whether tasks get a public IP, for subnets that reach the internet through an internet gateway rather than NAT."
  type        = bool
  default     = false
}

variable "desired_count" {
  description = "Number of tasks to keep running."
  type        = number
  default     = 1
}

variable "cpu" {
  description = "CPU units of the task (1024 is one vCPU), shared by the app and the sidecar."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Memory of the task in MiB, shared by the app and the sidecar."
  type        = number
  default     = 512
}

variable "cpu_architecture" {
  description = "CPU architecture of the task, X86_64 or ARM64; both images must be built for it."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "The CPU architecture must be X86_64 or ARM64."
  }
}

variable "app_image" {
  description = "Image of the app container, which reads its configuration from /run/ratchet/.env."
  type        = string
}

variable "app_command" {
  description = "Command of the app container, or null for the image's default."
  type        = list(string)
  default     = null
}

variable "app_user" {
  description = "User (uid:gid) the app container runs as; null keeps the image's."
  type        = string
  default     = null

  validation {
    condition     = var.app_user == null || can(regex("^[0-9]+:[0-9]+$", var.app_user))
    error_message = "The user must be uid:gid in digits."
  }
}

variable "app_environment" {
  description = "Plain environment variables of the app container. Secrets belong in the profile, not here."
  type        = map(string)
  default     = {}
}

variable "app_port" {
  description = "TCP port the app container listens on, or null when it listens on none."
  type        = number
  default     = null
}

variable "app_readonly_root_filesystem" {
  description = "Whether the app container's root filesystem is read-only."
  type        = bool
  default     = true
}

variable "ratchet_image" {
  description = "Image of the ratchet sidecar (binary at /ratchet, running as uid 65532)."
  type        = string
}

variable "ratchet_profile" {
  description = "Profile the sidecar serves to the app."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,63}$", var.ratchet_profile))
    error_message = "The profile must match ^[a-z0-9][a-z0-9-]{0,63}$."
  }
}

variable "ratchet_api_url" {
  description = "Base URL (stage URL) of the secrets API the sidecar calls, the IAM or the API-key flavour to match ratchet_auth."
  type        = string
}

variable "ratchet_auth" {
  description = "How the sidecar authenticates: iam (SigV4 with the task role) or api-key."
  type        = string
  default     = "iam"

  validation {
    condition     = contains(["iam", "api-key"], var.ratchet_auth)
    error_message = "The auth must be iam or api-key."
  }
}

variable "ratchet_api_execution_arn" {
  description = "Execution ARN of the IAM-authenticated API; the task role may invoke only this profile's path on it. Required when ratchet_auth is iam."
  type        = string
  default     = null
}

variable "ratchet_stage_name" {
  description = "Stage of the IAM-authenticated API the task role may invoke."
  type        = string
  default     = "prod"
}

variable "ratchet_api_key_secret_arn" {
  description = "ARN of a Secrets Manager secret or SSM SecureString parameter holding the API key, injected as RATCHET_API_KEY. Required when ratchet_auth is api-key."
  type        = string
  default     = null
}

variable "ratchet_api_key_secret_kms_key_arn" {
  description = "ARN of the customer managed KMS key encrypting that secret, or null when it uses the AWS managed key."
  type        = string
  default     = null
}

variable "ratchet_format" {
  description = "Format the sidecar writes: dotenv, json or shell."
  type        = string
  default     = "dotenv"

  validation {
    condition     = contains(["dotenv", "json", "shell"], var.ratchet_format)
    error_message = "The format must be dotenv, json or shell."
  }
}

variable "ratchet_user" {
  description = "User (uid:gid) the sidecar runs as; null keeps the image's 65532:65532. Set it to the app's user: the FIFO is then the app's own, readable with mode 0600, and the sidecar may read the app's /proc entries, so its audit events name the reading process."
  type        = string
  default     = null

  validation {
    condition     = var.ratchet_user == null || can(regex("^[0-9]+:[0-9]+$", var.ratchet_user))
    error_message = "The user must be uid:gid in digits."
  }
}

variable "ratchet_owner" {
  description = "Owner (uid:gid) given to the FIFO; null leaves the sidecar's own user. Giving it to another user needs CAP_CHOWN, which a non-root sidecar lacks: prefer ratchet_user, or a shared group with mode 0640."
  type        = string
  default     = null

  validation {
    condition     = var.ratchet_owner == null || can(regex("^[0-9]+:[0-9]+$", var.ratchet_owner))
    error_message = "The owner must be uid:gid in digits."
  }
}

variable "ratchet_mode" {
  description = "Octal mode of the FIFO (such as 0640); null leaves the sidecar's default."
  type        = string
  default     = null

  validation {
    condition     = var.ratchet_mode == null || can(regex("^0[0-7]{3}$", var.ratchet_mode))
    error_message = "The mode must be four octal digits such as 0640."
  }
}

variable "ecr_repository_arns" {
  description = "ARNs of the ECR repositories the images come from, which the execution role may pull. Empty when both images come from public registries."
  type        = list(string)
  default     = []
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key encrypting the service's log group; its policy must admit CloudWatch Logs."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep the containers' logs, the sidecar's audit events among them."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention must be one CloudWatch Logs accepts, such as 30, 90, 365 or 731."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes them."
  type        = map(string)
  default     = {}
}
