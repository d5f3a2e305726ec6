"""Reporting: per-day counters fed by domain events, and the scheduled Slack digests read from them."""
