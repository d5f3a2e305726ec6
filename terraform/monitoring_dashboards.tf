# The product dashboards (docs/reporting.md, Dashboards): signups, retention, support, credentialing, API health.
# Every figure is a custom metric the daily digest writes (bloom.reporting.export) or a log-based metric of
# monitoring_reporting.tf: none needs a query over all users.
#
# Locals only, from variables: tests/unit/test_dashboards.py evaluates them offline with `terraform console` and
# checks that each tile reads a metric that is really produced.

locals {
  reporting_metric_prefix = "custom.googleapis.com/bloom/reporting"
  # Log-based metrics (monitoring_reporting.tf creates one per entry), as their names.
  log_metric_names = {
    api_requests           = "bloom/api_requests"
    api_latency            = "bloom/api_latency"
    support_tickets_opened = "bloom/support_tickets_opened"
    support_ticket_updates = "bloom/support_ticket_updates"
    credentialing_changes  = "bloom/credentialing_application_changes"
  }
  # Cloud Run moves the `httpRequest` of our JSON request line (bloom.platform.http, logger `bloom.http`: one per
  # HTTP call, with the status and the latency as "0.1234s") into the log entry's own httpRequest field.
  api_request_line = join(" AND ", [
    "resource.type = \"cloud_run_revision\"",
    "jsonPayload.logger = \"bloom.http\"",
    "httpRequest.status >= 100",
  ])
  # The counting log-based metrics (google_logging_metric.counter): label -> its extractor. The support and
  # credentialing lines are those areas' own (bloom.support.service, bloom.credentialing.applications); an
  # application is created (to draft), submitted (to submitted) or updated by an admin (to the status logged).
  log_counters = {
    api_requests = {
      description = "Requests our HTTP functions answered, by status and function (the error rate and the 429s)."
      filter      = local.api_request_line
      labels      = tomap({ status = "EXTRACT(httpRequest.status)", function = "EXTRACT(jsonPayload.function)" })
    }
    support_tickets_opened = {
      description = "Support tickets opened, by priority."
      filter      = "resource.type = \"cloud_run_revision\" AND jsonPayload.message = \"support ticket created\""
      labels      = tomap({ priority = "EXTRACT(jsonPayload.priority)" })
    }
    support_ticket_updates = {
      description = "Support ticket changes by an admin, by the status the ticket has after the change."
      filter      = "resource.type = \"cloud_run_revision\" AND jsonPayload.message = \"support ticket updated\""
      labels      = tomap({ status = "EXTRACT(jsonPayload.status)" })
    }
    credentialing_changes = {
      description = "Credentialing application changes: created, submitted, or updated by an admin (with the new status)."
      filter = join(" AND ", [
        "resource.type = \"cloud_run_revision\"",
        "jsonPayload.message = (\"credentialing application created\" OR \"credentialing application submitted\" OR \"credentialing application updated\")",
      ])
      labels = tomap({
        event  = "REGEXP_EXTRACT(jsonPayload.message, \"^credentialing application (created|submitted|updated)$\")"
        status = "EXTRACT(jsonPayload.status)"
      })
    }
  }
  log_metric_filter = {
    for key, name in local.log_metric_names : key => "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${name}\""
  }

  # A figure of the daily digest: one point per day at its end, so a day's value is the day's MAX.
  daily_figure = { alignmentPeriod = "86400s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_SUM" }
  # A log-based counter per day, and per minute for the API's health.
  per_day    = { alignmentPeriod = "86400s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM" }
  per_minute = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM" }

  # title -> tiles; each tile is {title, plot, filter, aggregation} or a ratio {title, numerator, denominator, ...}.
  reporting_dashboards = {
    signups = {
      title = "Signups"
      tiles = [
        { title = "New users per day", plot = "STACKED_BAR", metric = "newUsers", group_by = [] },
        { title = "New users per day by partner", plot = "STACKED_BAR", metric = "newUsersByPartner", group_by = ["metric.label.partner"] },
        { title = "New users with a partner access per day", plot = "STACKED_BAR", metric = "newPartnerUsers", group_by = [] },
        { title = "Partner accesses activated per day", plot = "STACKED_BAR", metric = "partnerAccessActivations", group_by = [] },
      ]
    }
    retention = {
      title = "Weekly retention"
      tiles = [
        { title = "Signups of the cohort measured (by weeks after signup)", plot = "LINE", metric = "retentionCohortSignups", group_by = ["metric.label.weeks_after"] },
        { title = "Users of that cohort active again (by weeks after signup)", plot = "LINE", metric = "retentionActiveAgain", group_by = ["metric.label.weeks_after"] },
      ]
      ratios = [
        for weeks in ["1", "4", "12"] : {
          title       = "Share active again ${weeks} week(s) after signup"
          numerator   = "retentionActiveAgain"
          denominator = "retentionCohortSignups"
          label       = "metric.label.weeks_after = \"${weeks}\""
        }
      ]
    }
    support = {
      title = "Support"
      tiles = [
        { title = "Open tickets", plot = "LINE", metric = "supportOpenTickets", group_by = [] },
        { title = "Mean minutes to first response (tickets answered that day)", plot = "LINE", metric = "supportFirstResponseMinutes", group_by = [] },
        { title = "Mean minutes to resolution (tickets resolved that day)", plot = "LINE", metric = "supportResolutionMinutes", group_by = [] },
        { title = "SLA breaches per day by kind", plot = "STACKED_BAR", metric = "slaBreachesByKind", group_by = ["metric.label.kind"] },
      ]
      log_tiles = [
        { title = "Tickets opened per day by priority", log_metric = "support_tickets_opened", group_by = ["metric.label.priority"] },
        { title = "Ticket status changes per day by status", log_metric = "support_ticket_updates", group_by = ["metric.label.status"] },
      ]
    }
    credentialing = {
      title = "Credentialing"
      tiles = [
        { title = "Applications by status", plot = "STACKED_AREA", metric = "credentialingApplicationsByStatus", group_by = ["metric.label.status"] },
      ]
      log_tiles = [
        { title = "Applications created, submitted and decided per day", log_metric = "credentialing_changes", group_by = ["metric.label.event", "metric.label.status"] },
      ]
      log_ratios = [
        {
          title       = "Approval rate (approved / decided)"
          log_metric  = "credentialing_changes"
          numerator   = "metric.label.status = \"approved\""
          denominator = "metric.label.status = monitoring.regex.full_match(\"approved|denied\")"
        },
      ]
    }
  }

  reporting_dashboard_tiles = {
    for key, board in local.reporting_dashboards : key => concat(
      [
        for tile in board.tiles : {
          title = tile.title
          xyChart = { dataSets = [{
            plotType = tile.plot
            timeSeriesQuery = { timeSeriesFilter = {
              filter      = "resource.type = \"global\" AND metric.type = \"${local.reporting_metric_prefix}/${tile.metric}\""
              aggregation = merge(local.daily_figure, { groupByFields = tile.group_by })
            } }
          }] }
        }
      ],
      [
        for ratio in lookup(board, "ratios", []) : {
          title = ratio.title
          xyChart = { dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = { timeSeriesFilterRatio = {
              numerator = {
                filter      = "resource.type = \"global\" AND metric.type = \"${local.reporting_metric_prefix}/${ratio.numerator}\" AND ${ratio.label}"
                aggregation = local.daily_figure
              }
              denominator = {
                filter      = "resource.type = \"global\" AND metric.type = \"${local.reporting_metric_prefix}/${ratio.denominator}\" AND ${ratio.label}"
                aggregation = local.daily_figure
              }
            } }
          }] }
        }
      ],
      [
        for tile in lookup(board, "log_tiles", []) : {
          title = tile.title
          xyChart = { dataSets = [{
            plotType = "STACKED_BAR"
            timeSeriesQuery = { timeSeriesFilter = {
              filter      = local.log_metric_filter[tile.log_metric]
              aggregation = merge(local.per_day, { groupByFields = tile.group_by })
            } }
          }] }
        }
      ],
      [
        for ratio in lookup(board, "log_ratios", []) : {
          title = ratio.title
          xyChart = { dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = { timeSeriesFilterRatio = {
              numerator   = { filter = "${local.log_metric_filter[ratio.log_metric]} AND ${ratio.numerator}", aggregation = local.per_day }
              denominator = { filter = "${local.log_metric_filter[ratio.log_metric]} AND ${ratio.denominator}", aggregation = local.per_day }
            } }
          }] }
        }
      ],
    )
  }

  # API health: our own request line (bloom.platform.http) and the dead-letter subscriptions.
  api_health_tiles = [
    {
      title = "Error rate (5xx / all requests)"
      xyChart = { dataSets = [{
        plotType = "LINE"
        timeSeriesQuery = { timeSeriesFilterRatio = {
          numerator   = { filter = "${local.log_metric_filter.api_requests} AND metric.label.status = monitoring.regex.full_match(\"5[0-9][0-9]\")", aggregation = local.per_minute }
          denominator = { filter = local.log_metric_filter.api_requests, aggregation = local.per_minute }
        } }
      }] }
    },
    {
      title = "Latency p95 (s)"
      xyChart = { dataSets = [{
        plotType = "LINE"
        timeSeriesQuery = { timeSeriesFilter = {
          filter      = local.log_metric_filter.api_latency
          aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_PERCENTILE_95" }
        } }
      }] }
    },
    {
      title = "429 answers per minute by function"
      xyChart = { dataSets = [{
        plotType = "STACKED_BAR"
        timeSeriesQuery = { timeSeriesFilter = {
          filter      = "${local.log_metric_filter.api_requests} AND metric.label.status = \"429\""
          aggregation = merge(local.per_minute, { groupByFields = ["metric.label.function"] })
        } }
      }] }
    },
    {
      title = "Dead letters waiting, by subscription"
      xyChart = { dataSets = [{
        plotType = "STACKED_AREA"
        timeSeriesQuery = { timeSeriesFilter = {
          filter = join(" AND ", [
            "resource.type = \"pubsub_subscription\"",
            "metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\"",
            "resource.label.subscription_id = monitoring.regex.full_match(\".*[.]dead-letter\")",
          ])
          aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["resource.label.subscription_id"] }
        } }
      }] }
    },
  ]

  # The dashboards' JSON (mosaic of 6 x 4 tiles, two a row), keyed like google_monitoring_dashboard.reporting.
  reporting_dashboard_json = {
    for key, tiles in merge(local.reporting_dashboard_tiles, { api_health = local.api_health_tiles }) : key => {
      displayName = "Bloom ${var.environment}: ${key == "api_health" ? "API health" : local.reporting_dashboards[key].title}"
      mosaicLayout = {
        columns = 12
        tiles = [
          for index, tile in tiles : {
            xPos   = (index % 2) * 6
            yPos   = floor(index / 2) * 4
            width  = 6
            height = 4
            widget = tile
          }
        ]
      }
    }
  }
}
