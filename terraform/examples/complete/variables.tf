variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the deployment; the KMS alias becomes alias/<name>."
  type        = string
  default     = "ratchet"
}

variable "function_zip_path" {
  description = "Path to the function's zip, as built by `cargo lambda build --release --output-format zip`."
  type        = string
}

variable "sealed_profiles" {
  description = "Sealed profiles keyed by profile name, from `ratchet-seal --output tfvars`; empty until the key exists and the profiles are sealed."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "profile" {
  description = "Profile the example service reads."
  type        = string
  default     = "app"
}

variable "app_image" {
  description = "Image of the app container, which reads /run/ratchet/.env."
  type        = string
}

variable "app_command" {
  description = "Command of the app container, or null for the image's default."
  type        = list(string)
  default     = null
}

variable "ratchet_image" {
  description = "Image of the ratchet sidecar."
  type        = string
}

variable "app_user" {
  description = "User (uid:gid) the app container runs as; the sidecar runs as the same user so the FIFO is the app's own (mode 0600) and the audit can name the reading process."
  type        = string
  default     = "1000:1000"
}

variable "ecr_repository_arns" {
  description = "ARNs of the ECR repositories holding the two images, if they live in ECR."
  type        = list(string)
  default     = []
}

variable "subnet_ids" {
  description = "Private subnets for the service, with a route to API Gateway, CloudWatch Logs and the image registries."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups for the service; they must allow outbound HTTPS."
  type        = list(string)
}

variable "kms_admin_principal_arns" {
  description = "Principals that administer the keys and seal profiles. Empty means the identity running Terraform (its role, for an assumed role)."
  type        = list(string)
  default     = []
}

variable "api_key_consumers" {
  description = "API key consumers allowed to read each profile, keyed by profile name, for callers outside AWS such as CI."
  type        = map(list(string))
  default     = {}
}

variable "alarm_email_addresses" {
  description = "Email addresses told of denials, failures and unusual reads."
  type        = list(string)
  default     = []
}

variable "container_insights" {
  description = "Container Insights on the cluster: enabled, enhanced or disabled. It shows a sidecar that keeps restarting, for about $9 a month with one service."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "enhanced", "disabled"], var.container_insights)
    error_message = "Container Insights must be enabled, enhanced or disabled."
  }
}

variable "tags" {
  description = "Tags applied to every resource through the provider."
  type        = map(string)
  default = {
    project = "ratchet"
  }
}
