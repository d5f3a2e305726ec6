"""Third-party services are real HTTP servers in the tests: one pytest-httpserver for the session, which the
local stack is pointed at through these settings. Each test programs the requests it expects."""

from __future__ import annotations

from tests.support.front_fake import front_env
from tests.support.optum_fake import optum_env
from tests.support.stripe_fake import stripe_env
from tests.support.telehealth import telehealth_env


def fake_service_env(base_url: str, crm_url: str) -> dict[str, str]:
    """`crm_url` is a second server for Crisp, Mailchimp and respond.io: their syncs follow every user change, so
    they get their own request log and leave the first server's to the tests that count requests."""
    base, crm = base_url.rstrip("/"), crm_url.rstrip("/")
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
        "SLACK_WEBHOOK_URL_SUPPORT": f"{base}/slack/support",
        "OPENAI_API_URL": f"{base}/openai/v1",
        "OPENAI_API_KEY": "test-openai-key",
        "CRISP_API_URL": f"{crm}/crisp/v1",
        "CRISP_WEBSITE_ID": "test-website",
        "CRISP_TOKEN_IDENTIFIER": "test-crisp-identifier",
        "CRISP_TOKEN_KEY": "test-crisp-key",
        "MAILCHIMP_API_URL": f"{crm}/mailchimp/3.0",
        "MAILCHIMP_AUDIENCE_ID": "test-audience",
        "MAILCHIMP_API_KEY": "test-mailchimp-key-us1",
        "MAILCHIMP_WEBHOOK_SECRET": "test-mailchimp-webhook-secret",
        "RESPOND_IO_CREATE_CONTACT_WEBHOOK": f"{crm}/respond-io/create-contact",
        "RESPOND_IO_DELETE_CONTACT_WEBHOOK": f"{crm}/respond-io/delete-contact",
        **stripe_env(base),
        **telehealth_env(base),
        **optum_env(base),
        **front_env(base),
    }
