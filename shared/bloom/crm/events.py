"""The crm area's own topic: one fan-in for every domain event that changes what a provider shows, so each
provider has one subscriber (`sync_crisp_profile`, `sync_mailchimp_member`)."""

from __future__ import annotations

from bloom.crm.schemas import ProfileStale
from bloom.platform.topics import declare_topic

CRM_PROFILE_STALE = declare_topic(
    "crm.profile-stale", ProfileStale, "A user's chat and CRM profiles are to be brought up to date"
)
