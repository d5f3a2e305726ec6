"""The support console: tickets with SLA timers and breach alerts, the admin queue, user lookup, disable and
enable (see docs/support.md)."""
