"""Third-party services are real HTTP servers in the tests: one pytest-httpserver for the session, which the
local stack is pointed at through these settings. Each test programs the requests it expects."""

from __future__ import annotations


def fake_service_env(base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {
        "STORYBLOK_API_URL": f"{base}/storyblok/v2",
        "STORYBLOK_PUBLIC_TOKEN": "test-storyblok-token",
        "STORYBLOK_WEBHOOK_SECRET": "test-storyblok-secret",
        "SLACK_WEBHOOK_URL_USERS": f"{base}/slack/users",
        "SLACK_WEBHOOK_URL_THERAPY": f"{base}/slack/therapy",
        "SLACK_WEBHOOK_URL_DELETED_USERS": f"{base}/slack/deleted-users",
        "SIMPLYBOOK_API_URL": f"{base}/simplybook",
        "SIMPLYBOOK_COMPANY": "chayn-test",
        "SIMPLYBOOK_LOGIN": "test-simplybook-login",
        "SIMPLYBOOK_PASSWORD": "test-simplybook-password",
        "SIMPLYBOOK_TOTP_SECRET": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "SIMPLYBOOK_WEBHOOK_TOKEN": "test-simplybook-webhook-token",
        "ZAPIER_TOKEN": "test-zapier-token",
        "SLACK_API_URL": f"{base}/slack-api/",
        "SLACK_BOT_TOKEN": "xoxb-test-reporting-token",
        "SLACK_REPORTING_CHANNEL": "C0REPORTING",
        "SLACK_WEBHOOK_URL_SAFETY": f"{base}/slack/safety",
        "OPENAI_API_URL": f"{base}/openai/v1",
        "OPENAI_API_KEY": "test-openai-key",
    }
