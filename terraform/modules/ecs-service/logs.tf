# Both containers log here, under the stream prefixes app/ and ratchet/; the
# sidecar's lines include its ratchet.open audit events.
resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}
