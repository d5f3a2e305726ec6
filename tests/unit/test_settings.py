"""Settings: the environment variables of README's table, their defaults, and secrets that never print."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from bloom.core.logging import CloudLoggingFormatter
from bloom.core.settings import SECRET_FIELDS, Settings, get_settings
from infra.manifest import load_everything
from tests.support.settings import SettingsEnv

VARIABLES = (
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "BLOOM_ENV",
    "BLOOM_CORS_ORIGINS",
    "K_SERVICE",
    "BLOOM_EXPOSE_METRICS",
    "BLOOM_OUTBOX_PUBLISH_TIMEOUT_S",
    "BLOOM_OUTBOX_SWEEP_AFTER_S",
    "BLOOM_TRUSTED_PROXY_HOPS",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "STORYBLOK_API_URL",
    "STORYBLOK_WEBHOOK_SECRET",
    "STORYBLOK_PUBLIC_TOKEN",
    "SLACK_WEBHOOK_URL_USERS",
    "SLACK_WEBHOOK_URL_THERAPY",
    "SLACK_WEBHOOK_URL_DELETED_USERS",
    "STORAGE_BACKEND",
    "UPLOADS_BUCKET",
    "STORAGE_EMULATOR_HOST",
    "S3_ENDPOINT_URL",
    "S3_BUCKET",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "WEBAUTHN_RP_ID",
    "WEBAUTHN_ORIGINS",
    "CRISP_API_URL",
    "CRISP_WEBSITE_ID",
    "CRISP_TOKEN_IDENTIFIER",
    "CRISP_TOKEN_KEY",
    "MAILCHIMP_API_URL",
    "MAILCHIMP_AUDIENCE_ID",
    "MAILCHIMP_API_KEY",
    "MAILCHIMP_WEBHOOK_SECRET",
    "RESPOND_IO_CREATE_CONTACT_WEBHOOK",
    "RESPOND_IO_DELETE_CONTACT_WEBHOOK",
    "FRONT_API_URL",
    "FRONT_CHANNEL_ID",
    "FRONT_API_TOKEN",
    "FRONT_APP_SECRET",
)
SECRET_VALUE = "s3cr3t-value-xyz"


def _settings(**env: str) -> Settings:
    return Settings.from_environment(env)


def test_defaults() -> None:
    settings = _settings()
    assert settings.model_dump() == {
        "project_id": "demo-bloom",
        "environment": "local",
        "cors_origins": ("http://localhost:3000",),
        "deployed": False,
        "expose_metrics": False,
        "outbox_publish_timeout_s": 10.0,
        "outbox_sweep_after_s": 30.0,
        "trusted_proxy_hops": 0,
        "firebase_auth_emulator_host": None,
        "storyblok_api_url": "https://api.storyblok.com/v2",
        "storyblok_webhook_secret": None,
        "storyblok_public_token": None,
        "slack_webhook_url_users": None,
        "slack_webhook_url_therapy": None,
        "slack_webhook_url_deleted_users": None,
        "simplybook_api_url": "https://user-api-v2.simplybook.me",
        "simplybook_company": None,
        "simplybook_login": None,
        "simplybook_password": None,
        "simplybook_totp_secret": None,
        "simplybook_webhook_token": None,
        "zapier_token": None,
        "zoom_api_url": "https://api.zoom.us/v2",
        "zoom_oauth_url": "https://zoom.us",
        "zoom_account_id": None,
        "zoom_client_id": None,
        "zoom_client_secret": None,
        "zoom_webhook_secret_token": None,
        "google_meet_api_url": "https://meet.googleapis.com",
        "google_meet_credentials_file": None,
        "stripe_api_base": "https://api.stripe.com",
        "stripe_secret_key": None,
        "stripe_webhook_secret": None,
        "reporting_timezone": "Europe/London",
        "slack_api_url": "https://slack.com/api/",
        "slack_bot_token": None,
        "slack_reporting_channel": None,
        "monitoring_api_url": None,
        "storage_backend": "gcs",
        "uploads_bucket": "demo-bloom-uploads",
        "storage_emulator_host": None,
        "s3_endpoint_url": None,
        "s3_bucket": None,
        "s3_region": "us-east-1",
        "s3_access_key_id": None,
        "s3_secret_access_key": None,
        "webauthn_rp_id": "localhost",
        "webauthn_origins": ("http://localhost:3000",),
        "api_url": "http://localhost:35001/api",
        "slack_webhook_url_safety": None,
        "slack_webhook_url_support": None,
        "openai_api_url": "https://api.openai.com/v1",
        "embeddings": "local",
        "vertex_location": "europe-west2",
        "openai_api_key": None,
        "crisp_api_url": "https://api.crisp.chat/v1",
        "crisp_website_id": None,
        "crisp_token_identifier": None,
        "crisp_token_key": None,
        "mailchimp_api_url": None,
        "mailchimp_audience_id": None,
        "mailchimp_api_key": None,
        "mailchimp_webhook_secret": None,
        "front_api_url": "https://api2.frontapp.com",
        "front_channel_id": None,
        "front_api_token": None,
        "front_app_secret": None,
        "respond_io_create_contact_webhook": None,
        "respond_io_delete_contact_webhook": None,
        "optum_api_url": "https://apigw.optum.com",
        "optum_client_id": None,
        "optum_client_secret": None,
        "billing_provider_name": None,
        "billing_provider_npi": None,
        "billing_provider_tax_id": None,
        "billing_provider_address1": None,
        "billing_provider_city": None,
        "billing_provider_state": None,
        "billing_provider_postal_code": None,
        "kms_key_uri": None,
        "local_keyset_path": None,
        "records_retention_years": 7,
    }


def test_every_variable_is_read_by_its_documented_name() -> None:
    settings = _settings(
        GOOGLE_CLOUD_PROJECT="bloom-prod",
        BLOOM_ENV="production",
        BLOOM_CORS_ORIGINS="https://bloom.chayn.co",
        K_SERVICE="get-user-profile",
        BLOOM_EXPOSE_METRICS="1",
        BLOOM_OUTBOX_PUBLISH_TIMEOUT_S="2.5",
        BLOOM_OUTBOX_SWEEP_AFTER_S="45",
        BLOOM_TRUSTED_PROXY_HOPS="2",
        FIREBASE_AUTH_EMULATOR_HOST="127.0.0.1:9099",
        STORYBLOK_API_URL="https://api-us.storyblok.com/v2",
        STORYBLOK_WEBHOOK_SECRET="webhook-secret",
        STORYBLOK_PUBLIC_TOKEN="public-token",
        SLACK_WEBHOOK_URL_USERS="https://hooks.slack.com/u",
        SLACK_WEBHOOK_URL_THERAPY="https://hooks.slack.com/t",
        SLACK_WEBHOOK_URL_DELETED_USERS="https://hooks.slack.com/d",
        SIMPLYBOOK_API_URL="https://simplybook.example",
        SIMPLYBOOK_COMPANY="chayn",
        SIMPLYBOOK_LOGIN="login",
        SIMPLYBOOK_PASSWORD="password",
        SIMPLYBOOK_TOTP_SECRET="totp",
        SIMPLYBOOK_WEBHOOK_TOKEN="sb-token",
        ZAPIER_TOKEN="zapier-token",
        ZOOM_API_URL="https://zoom-api.example/v2",
        ZOOM_OAUTH_URL="https://zoom-oauth.example",
        ZOOM_ACCOUNT_ID="zoom-account",
        ZOOM_CLIENT_ID="zoom-client",
        ZOOM_CLIENT_SECRET="zoom-client-secret",
        ZOOM_WEBHOOK_SECRET_TOKEN="zoom-webhook-secret",
        GOOGLE_MEET_API_URL="https://meet.example",
        GOOGLE_MEET_CREDENTIALS_FILE="/secrets/meet.json",
        STRIPE_API_BASE="http://127.0.0.1:12111",
        STRIPE_SECRET_KEY="sk_test_key",
        STRIPE_WEBHOOK_SECRET="whsec_secret",
        REPORTING_TIMEZONE="America/New_York",
        SLACK_API_URL="http://127.0.0.1:9/slack-api",
        SLACK_BOT_TOKEN="xoxb-bot",
        SLACK_REPORTING_CHANNEL="C123",
        MONITORING_API_URL="http://127.0.0.1:9/monitoring",
        STORAGE_BACKEND="s3",
        UPLOADS_BUCKET="bloom-prod-uploads",
        STORAGE_EMULATOR_HOST="http://127.0.0.1:9023",
        S3_ENDPOINT_URL="https://s3.example",
        S3_BUCKET="bloom-files",
        S3_REGION="eu-west-2",
        S3_ACCESS_KEY_ID="access-key",
        S3_SECRET_ACCESS_KEY="s3-secret",
        WEBAUTHN_RP_ID="bloom.chayn.co",
        WEBAUTHN_ORIGINS="https://bloom.chayn.co, https://www.bloom.chayn.co",
        SLACK_WEBHOOK_URL_SAFETY="https://hooks.slack.com/s",
        SLACK_WEBHOOK_URL_SUPPORT="https://hooks.slack.com/support",
        OPENAI_API_URL="https://openai.example/v1",
        OPENAI_API_KEY="sk-test",
        CRISP_API_URL="https://crisp.example/v1",
        CRISP_WEBSITE_ID="website",
        CRISP_TOKEN_IDENTIFIER="crisp-id",
        CRISP_TOKEN_KEY="crisp-key",
        MAILCHIMP_API_URL="https://us1.api.mailchimp.com/3.0",
        MAILCHIMP_AUDIENCE_ID="audience",
        MAILCHIMP_API_KEY="mailchimp-key",
        MAILCHIMP_WEBHOOK_SECRET="mailchimp-secret",
        RESPOND_IO_CREATE_CONTACT_WEBHOOK=" https://respond.example/create\n",
        RESPOND_IO_DELETE_CONTACT_WEBHOOK="https://respond.example/delete",
        FRONT_API_URL="https://front.example",
        FRONT_CHANNEL_ID="cha_123",
        FRONT_API_TOKEN="front-token",
        FRONT_APP_SECRET="front-secret",
        KMS_KEY_URI="gcp-kms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
        BLOOM_LOCAL_KEYSET="/tmp/stack/local-kek.json",
        RECORDS_RETENTION_YEARS="10",
        OPTUM_API_URL="https://sandbox-apigw.optum.com",
        OPTUM_CLIENT_ID="optum-client",
        OPTUM_CLIENT_SECRET="optum-secret",
        BILLING_PROVIDER_NAME="Bloom Practice",
        BILLING_PROVIDER_NPI="1760854442",
        BILLING_PROVIDER_TAX_ID="123456789",
        BILLING_PROVIDER_ADDRESS1="1 Main Street",
        BILLING_PROVIDER_CITY="Seattle",
        BILLING_PROVIDER_STATE="WA",
        BILLING_PROVIDER_POSTAL_CODE="981010000",
    )
    assert settings.optum_api_url == "https://sandbox-apigw.optum.com"
    billing = (
        settings.billing_provider_name,
        settings.billing_provider_npi,
        settings.billing_provider_tax_id,
        settings.billing_provider_address1,
        settings.billing_provider_city,
        settings.billing_provider_state,
        settings.billing_provider_postal_code,
    )
    assert billing == ("Bloom Practice", "1760854442", "123456789", "1 Main Street", "Seattle", "WA", "981010000")
    assert (settings.kms_key_uri, settings.local_keyset_path, settings.records_retention_years) == (
        "gcp-kms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
        "/tmp/stack/local-kek.json",
        10,
    )
    assert (settings.project_id, settings.environment, settings.cors_origins) == (
        "bloom-prod",
        "production",
        ("https://bloom.chayn.co",),
    )
    assert settings.deployed and settings.expose_metrics
    assert (settings.outbox_publish_timeout_s, settings.outbox_sweep_after_s, settings.trusted_proxy_hops) == (
        2.5,
        45.0,
        2,
    )
    assert (settings.firebase_auth_emulator_host, settings.storyblok_api_url) == (
        "127.0.0.1:9099",
        "https://api-us.storyblok.com/v2",
    )
    assert settings.stripe_api_base == "http://127.0.0.1:12111"
    assert [settings.secret(name) for name in SECRET_FIELDS] == [
        "webhook-secret",
        "public-token",
        "https://hooks.slack.com/u",
        "https://hooks.slack.com/t",
        "https://hooks.slack.com/d",
        "login",
        "password",
        "totp",
        "sb-token",
        "zapier-token",
        "zoom-account",
        "zoom-client",
        "zoom-client-secret",
        "zoom-webhook-secret",
        "sk_test_key",
        "whsec_secret",
        "xoxb-bot",
        "s3-secret",
        "https://hooks.slack.com/s",
        "https://hooks.slack.com/support",
        "sk-test",
        "crisp-id",
        "crisp-key",
        "mailchimp-key",
        "mailchimp-secret",
        "https://respond.example/create",
        "https://respond.example/delete",
        "front-token",
        "front-secret",
        "optum-client",
        "optum-secret",
    ]
    assert (settings.front_api_url, settings.front_channel_id) == ("https://front.example", "cha_123")
    assert (settings.simplybook_api_url, settings.simplybook_company) == ("https://simplybook.example", "chayn")
    assert (settings.zoom_api_url, settings.zoom_oauth_url) == (
        "https://zoom-api.example/v2",
        "https://zoom-oauth.example",
    )
    assert (settings.google_meet_api_url, settings.google_meet_credentials_file) == (
        "https://meet.example",
        "/secrets/meet.json",
    )
    assert (settings.reporting_timezone, settings.slack_api_url, settings.slack_reporting_channel) == (
        "America/New_York",
        "http://127.0.0.1:9/slack-api/",
        "C123",
    )
    assert settings.monitoring_api_url == "http://127.0.0.1:9/monitoring"
    assert (settings.storage_backend, settings.uploads_bucket, settings.storage_emulator_host) == (
        "s3",
        "bloom-prod-uploads",
        "http://127.0.0.1:9023",
    )
    assert (settings.s3_endpoint_url, settings.s3_bucket, settings.s3_region, settings.s3_access_key_id) == (
        "https://s3.example",
        "bloom-files",
        "eu-west-2",
        "access-key",
    )
    assert (settings.webauthn_rp_id, settings.webauthn_origins) == (
        "bloom.chayn.co",
        ("https://bloom.chayn.co", "https://www.bloom.chayn.co"),
    )
    assert settings.openai_api_url == "https://openai.example/v1"
    assert (settings.crisp_api_url, settings.crisp_website_id) == ("https://crisp.example/v1", "website")
    assert (settings.mailchimp_api_url, settings.mailchimp_audience_id) == (
        "https://us1.api.mailchimp.com/3.0",
        "audience",
    )


def test_the_project_falls_back_to_gcloud_project() -> None:
    assert _settings(GCLOUD_PROJECT="old-name").project_id == "old-name"
    assert _settings(GOOGLE_CLOUD_PROJECT="", GCLOUD_PROJECT="old-name").project_id == "old-name"
    assert _settings(GOOGLE_CLOUD_PROJECT="new", GCLOUD_PROJECT="old-name").project_id == "new"


def test_cors_origins_are_comma_separated() -> None:
    settings = _settings(BLOOM_CORS_ORIGINS=" https://a.example , https://b.example,, ")
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_any_k_service_means_deployed_and_only_1_exposes_metrics() -> None:
    assert _settings(K_SERVICE="x").deployed
    assert not _settings(K_SERVICE="").deployed
    for value in ("0", "true", "yes", ""):
        assert not _settings(BLOOM_EXPOSE_METRICS=value).expose_metrics


def test_an_empty_variable_counts_as_unset() -> None:
    assert _settings(**dict.fromkeys(VARIABLES, "")) == _settings()


def test_slack_urls_are_trimmed_and_blank_ones_unset() -> None:
    settings = _settings(SLACK_WEBHOOK_URL_USERS=" https://hooks.slack.com/u\n", SLACK_WEBHOOK_URL_THERAPY=" ")
    assert settings.secret("SLACK_WEBHOOK_URL_USERS") == "https://hooks.slack.com/u"
    assert settings.secret("SLACK_WEBHOOK_URL_THERAPY") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("BLOOM_TRUSTED_PROXY_HOPS", "-1"), ("BLOOM_TRUSTED_PROXY_HOPS", "two"), ("BLOOM_OUTBOX_SWEEP_AFTER_S", "soon")],
)
def test_unusable_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        _settings(**{name: value})


def test_secrets_never_appear_in_repr_dumps_or_log_lines() -> None:
    settings = _settings(**dict.fromkeys(SECRET_FIELDS, SECRET_VALUE))
    record = logging.LogRecord("test.settings", logging.INFO, __file__, 1, "settings %s", (settings,), None)
    record.settings = settings
    record.dump = settings.model_dump()
    shown = [repr(settings), str(settings), settings.model_dump_json(), CloudLoggingFormatter().format(record)]
    assert all(SECRET_VALUE not in text for text in shown)
    assert all(settings.secret(name) == SECRET_VALUE for name in SECRET_FIELDS)


def test_every_secret_a_function_declares_is_read_through_settings() -> None:
    declared = {secret for spec in load_everything().values() for secret in spec.deployment.secrets}
    assert declared
    assert declared <= set(SECRET_FIELDS)


def test_settings_are_read_once_until_the_cache_is_cleared(settings_env: SettingsEnv) -> None:
    settings_env.set("BLOOM_ENV", "staging")
    first = get_settings()
    assert first.environment == "staging"
    assert get_settings() is first
    settings_env.set("BLOOM_ENV", "production")
    assert get_settings().environment == "production"
