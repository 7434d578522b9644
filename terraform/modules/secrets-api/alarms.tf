# The function writes one JSON audit line per request. These filters turn
# those lines into metrics and the alarms turn the metrics into mail, so a
# read never goes unseen: every denial alarms at once, and each profile's
# reads alarm above their usual rate.
locals {
  metric_namespace = "Ratchet/${var.name}"
}

resource "aws_cloudwatch_log_metric_filter" "reads" {
  name           = "${var.name}-reads"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = "{ $.event = \"ratchet.read\" && $.outcome = \"served\" }"

  metric_transformation {
    name      = "Reads"
    namespace = local.metric_namespace
    value     = "1"
    unit      = "Count"

    dimensions = {
      profile = "$.profile"
    }
  }
}

resource "aws_cloudwatch_log_metric_filter" "denials" {
  name           = "${var.name}-denials"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = "{ $.event = \"ratchet.read\" && $.outcome = \"denied\" }"

  metric_transformation {
    name          = "Denials"
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_log_metric_filter" "failures" {
  name           = "${var.name}-failures"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = "{ $.event = \"ratchet.read\" && ($.outcome = \"unavailable\" || $.outcome = \"invalid_seal\") }"

  metric_transformation {
    name          = "Failures"
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "denials" {
  alarm_name          = "${var.name}-denials"
  alarm_description   = "A caller asked for a ${var.name} profile and was refused: an unknown profile, a caller outside the access map, or no identity."
  namespace           = local.metric_namespace
  metric_name         = "Denials"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "reads" {
  for_each = local.profiles

  alarm_name          = "${var.name}-reads-${each.key}"
  alarm_description   = "Profile ${each.key} of ${var.name} was read more often than expected."
  namespace           = local.metric_namespace
  metric_name         = "Reads"
  statistic           = "Sum"
  period              = var.read_alarm_period_seconds
  evaluation_periods  = 1
  threshold           = lookup(var.read_alarm_threshold_overrides, each.key, var.read_alarm_threshold)
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  tags                = var.tags

  dimensions = {
    profile = each.key
  }
}

resource "aws_cloudwatch_metric_alarm" "failures" {
  alarm_name          = "${var.name}-failures"
  alarm_description   = "The ${var.name} function could not unseal a profile: KMS was unavailable or a sealed value is broken."
  namespace           = local.metric_namespace
  metric_name         = "Failures"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-access"
  display_name      = "Ratchet ${var.name} access"
  kms_master_key_id = aws_kms_key.logs.arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_email_addresses)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.key
}
