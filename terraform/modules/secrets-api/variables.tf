variable "name" {
  description = "Name of the deployment. Prefixes every resource; the function, the KMS alias (alias/<name>) and the metric namespace (Ratchet/<name>) take it as is."
  type        = string
  default     = "ratchet"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,39}$", var.name))
    error_message = "The name must be 1 to 40 lowercase letters, digits or hyphens, starting with a letter or digit."
  }
}

variable "function_zip_path" {
  description = "Path to the function's zip, holding a `bootstrap` built for provided.al2023 on x86_64. Terraform deploys it and never builds it."
  type        = string
}

variable "sealed_profiles" {
  description = "Sealed profiles keyed by profile name, as printed by `ratchet-seal --output tfvars`. The values are KMS ciphertext; they are marked sensitive only to keep them out of plan output."
  type        = map(string)
  default     = {}
  sensitive   = true

  validation {
    condition     = alltrue([for profile in keys(var.sealed_profiles) : can(regex("^[a-z0-9][a-z0-9-]{0,63}$", profile))])
    error_message = "Profile names must match ^[a-z0-9][a-z0-9-]{0,63}$."
  }
}

variable "admin_principal_arns" {
  description = "IAM principal ARNs that administer both KMS keys and may seal profiles. The identity running Terraform must be one of them, or KMS refuses the key policy."
  type        = list(string)

  validation {
    condition     = length(var.admin_principal_arns) > 0
    error_message = "At least one admin principal is needed; a key without one cannot be managed again."
  }
}

variable "profile_iam_principals" {
  description = "IAM principal ARNs allowed to read each profile through the IAM-authenticated API, keyed by profile name. A role ARN also admits that role's assumed-role sessions."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for profile in keys(var.profile_iam_principals) : can(regex("^[a-z0-9][a-z0-9-]{0,63}$", profile))])
    error_message = "Profile names must match ^[a-z0-9][a-z0-9-]{0,63}$."
  }

  validation {
    condition     = alltrue([for arn in flatten(values(var.profile_iam_principals)) : can(regex("^arn:[a-z-]+:(iam|sts)::[0-9]{12}:", arn))])
    error_message = "Every principal must be an IAM or STS ARN."
  }
}

variable "profile_api_key_consumers" {
  description = "Names of API key consumers allowed to read each profile through the API-key API, keyed by profile name. One API key is created per distinct consumer."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for profile in keys(var.profile_api_key_consumers) : can(regex("^[a-z0-9][a-z0-9-]{0,63}$", profile))])
    error_message = "Profile names must match ^[a-z0-9][a-z0-9-]{0,63}$."
  }

  validation {
    condition     = alltrue([for consumer in flatten(values(var.profile_api_key_consumers)) : can(regex("^[a-z0-9][a-z0-9-]{0,63}$", consumer))])
    error_message = "Consumer names must match ^[a-z0-9][a-z0-9-]{0,63}$."
  }
}

variable "stage_name" {
  description = "Name of the API Gateway stage of both APIs; it ends the base URL that daemons are given."
  type        = string
  default     = "prod"
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second each API accepts across all callers."
  type        = number
  default     = 10
}

variable "throttling_burst_limit" {
  description = "Burst of requests each API accepts across all callers."
  type        = number
  default     = 20
}

variable "api_key_rate_limit" {
  description = "Steady-state requests per second allowed to each API key."
  type        = number
  default     = 2
}

variable "api_key_burst_limit" {
  description = "Burst of requests allowed to each API key."
  type        = number
  default     = 5
}

variable "api_key_daily_quota" {
  description = "Requests allowed to each API key per day, or null for no quota."
  type        = number
  default     = null
}

variable "api_key_allowed_cidrs" {
  description = "Source CIDR blocks allowed to call the API-key API. An empty list allows any source; an API key is a bearer token, so narrowing this is worth it where callers have fixed addresses."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.api_key_allowed_cidrs : can(cidrhost(cidr, 0))])
    error_message = "Every entry must be a CIDR block such as 203.0.113.0/24."
  }
}

variable "execution_logging_level" {
  description = "API Gateway execution logging level: OFF, ERROR or INFO. Request and response bodies are never logged."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "The execution logging level must be OFF, ERROR or INFO."
  }
}

variable "create_api_gateway_logging_role" {
  description = "Whether to create the role API Gateway writes its logs with and set it on the account. It is one setting per account and region: leave false when the account already has one."
  type        = bool
  default     = false
}

variable "tracing_enabled" {
  description = "Whether the function and both API stages send traces to X-Ray."
  type        = bool
  default     = true
}

variable "memory_size" {
  description = "Memory of the function in MB."
  type        = number
  default     = 128
}

variable "timeout" {
  description = "Timeout of the function in seconds."
  type        = number
  default     = 10
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for the function, or -1 to reserve none. API Gateway throttling bounds the load either way."
  type        = number
  default     = -1
}

variable "function_environment" {
  description = "Extra environment variables for the function, such as RUST_LOG. Names starting with RATCHET_ are reserved for the profiles and the access map."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.function_environment) : !startswith(name, "RATCHET_")])
    error_message = "Names starting with RATCHET_ are set by the module."
  }
}

variable "log_retention_days" {
  description = "Days to keep the function's audit log and the API logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention must be one CloudWatch Logs accepts, such as 30, 90, 365 or 731."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Days a KMS key waits between being scheduled for deletion and being deleted."
  type        = number
  default     = 30
}

variable "alarm_email_addresses" {
  description = "Email addresses subscribed to the access alarm topic. Each must confirm the subscription AWS mails to it."
  type        = list(string)
  default     = []
}

variable "read_alarm_threshold" {
  description = "Reads of one profile within one alarm period above which its read alarm fires. Zero makes any read fire it."
  type        = number
  default     = 20
}

variable "read_alarm_threshold_overrides" {
  description = "Per-profile read alarm thresholds, keyed by profile name, replacing read_alarm_threshold for those profiles."
  type        = map(number)
  default     = {}
}

variable "read_alarm_period_seconds" {
  description = "Length in seconds of the window over which reads are counted for the read alarms."
  type        = number
  default     = 300
}

variable "tags" {
  description = "Tags added to every resource that takes them."
  type        = map(string)
  default     = {}
}
