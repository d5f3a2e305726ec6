"""Process settings, read once from the environment (docs/development.md: "Settings the functions read").

Each field is read from the variable named by its alias. An empty variable counts as unset. Secrets (Secret
Manager values mapped to env vars when deployed) are `SecretStr`, so neither a repr nor a log line shows them.

A pydantic model validated from `os.environ`, not pydantic-settings: that package imports asyncio, argparse,
dotenv and its CLI, which added 30-50 ms to every function's cold start (settings are read at import).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, NonNegativeInt, SecretStr, field_validator

DEFAULT_PROJECT = "demo-bloom"
DEFAULT_STORYBLOK_API_URL = "https://api.storyblok.com/v2"
DEFAULT_SIMPLYBOOK_API_URL = "https://user-api-v2.simplybook.me"
DEFAULT_REPORTING_TIMEZONE = "Europe/London"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_OPENAI_API_URL = "https://api.openai.com/v1"
DEFAULT_CRISP_API_URL = "https://api.crisp.chat/v1"
DEFAULT_ZOOM_API_URL = "https://api.zoom.us/v2"
DEFAULT_STRIPE_API_BASE = "https://api.stripe.com"
DEFAULT_ZOOM_OAUTH_URL = "https://zoom.us"
DEFAULT_GOOGLE_MEET_API_URL = "https://meet.googleapis.com"
DEFAULT_MONITORING_API_URL = "https://monitoring.googleapis.com"
DEFAULT_OPTUM_API_URL = "https://apigw.optum.com"  # the sandbox: https://sandbox-apigw.optum.com
DEFAULT_FRONT_API_URL = "https://api2.frontapp.com"


class Settings(BaseModel, frozen=True):
    project_id: str = Field(DEFAULT_PROJECT, validation_alias=AliasChoices("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"))
    environment: str = Field("local", validation_alias="BLOOM_ENV")
    cors_origins: tuple[str, ...] = Field(("http://localhost:3000",), validation_alias="BLOOM_CORS_ORIGINS")
    deployed: bool = Field(False, validation_alias="K_SERVICE")
    expose_metrics: bool = Field(False, validation_alias="BLOOM_EXPOSE_METRICS")
    outbox_publish_timeout_s: float = Field(10.0, validation_alias="BLOOM_OUTBOX_PUBLISH_TIMEOUT_S")
    outbox_sweep_after_s: float = Field(30.0, validation_alias="BLOOM_OUTBOX_SWEEP_AFTER_S")
    trusted_proxy_hops: NonNegativeInt = Field(0, validation_alias="BLOOM_TRUSTED_PROXY_HOPS")
    firebase_auth_emulator_host: str | None = Field(None, validation_alias="FIREBASE_AUTH_EMULATOR_HOST")
    storyblok_api_url: str = Field(DEFAULT_STORYBLOK_API_URL, validation_alias="STORYBLOK_API_URL")
    storyblok_webhook_secret: SecretStr | None = Field(None, validation_alias="STORYBLOK_WEBHOOK_SECRET")
    storyblok_public_token: SecretStr | None = Field(None, validation_alias="STORYBLOK_PUBLIC_TOKEN")
    slack_webhook_url_users: SecretStr | None = Field(None, validation_alias="SLACK_WEBHOOK_URL_USERS")
    slack_webhook_url_therapy: SecretStr | None = Field(None, validation_alias="SLACK_WEBHOOK_URL_THERAPY")
    slack_webhook_url_deleted_users: SecretStr | None = Field(None, validation_alias="SLACK_WEBHOOK_URL_DELETED_USERS")
    simplybook_api_url: str = Field(DEFAULT_SIMPLYBOOK_API_URL, validation_alias="SIMPLYBOOK_API_URL")
    simplybook_company: str | None = Field(None, validation_alias="SIMPLYBOOK_COMPANY")
    simplybook_login: SecretStr | None = Field(None, validation_alias="SIMPLYBOOK_LOGIN")
    simplybook_password: SecretStr | None = Field(None, validation_alias="SIMPLYBOOK_PASSWORD")
    simplybook_totp_secret: SecretStr | None = Field(None, validation_alias="SIMPLYBOOK_TOTP_SECRET")
    simplybook_webhook_token: SecretStr | None = Field(None, validation_alias="SIMPLYBOOK_WEBHOOK_TOKEN")
    zapier_token: SecretStr | None = Field(None, validation_alias="ZAPIER_TOKEN")
    # Telehealth (docs/telehealth.md): Zoom's Server-to-Server OAuth app and webhook, Google Meet's REST API.
    zoom_api_url: str = Field(DEFAULT_ZOOM_API_URL, validation_alias="ZOOM_API_URL")
    zoom_oauth_url: str = Field(DEFAULT_ZOOM_OAUTH_URL, validation_alias="ZOOM_OAUTH_URL")
    zoom_account_id: SecretStr | None = Field(None, validation_alias="ZOOM_ACCOUNT_ID")
    zoom_client_id: SecretStr | None = Field(None, validation_alias="ZOOM_CLIENT_ID")
    zoom_client_secret: SecretStr | None = Field(None, validation_alias="ZOOM_CLIENT_SECRET")
    zoom_webhook_secret_token: SecretStr | None = Field(None, validation_alias="ZOOM_WEBHOOK_SECRET_TOKEN")
    google_meet_api_url: str = Field(DEFAULT_GOOGLE_MEET_API_URL, validation_alias="GOOGLE_MEET_API_URL")
    # A service-account key file for Meet instead of the function's own (default) credentials: self-hosting, tests.
    google_meet_credentials_file: str | None = Field(None, validation_alias="GOOGLE_MEET_CREDENTIALS_FILE")
    # Payments (docs/billing.md): Stripe's API base without `/v1` (tests point it at a local fake).
    stripe_api_base: str = Field(DEFAULT_STRIPE_API_BASE, validation_alias="STRIPE_API_BASE")
    stripe_secret_key: SecretStr | None = Field(None, validation_alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: SecretStr | None = Field(None, validation_alias="STRIPE_WEBHOOK_SECRET")
    reporting_timezone: str = Field(DEFAULT_REPORTING_TIMEZONE, validation_alias="REPORTING_TIMEZONE")
    slack_api_url: str = Field(DEFAULT_SLACK_API_URL, validation_alias="SLACK_API_URL")
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_reporting_channel: str | None = Field(None, validation_alias="SLACK_REPORTING_CHANNEL")
    # Where the daily digest writes its figures as custom metrics (Terraform sets Google's; unset: no export).
    monitoring_api_url: str | None = Field(None, validation_alias="MONITORING_API_URL")
    # Private uploads (practice files): Cloud Storage by default, or an S3-compatible store.
    storage_backend: Literal["gcs", "s3"] = Field("gcs", validation_alias="STORAGE_BACKEND")
    uploads_bucket: str = Field("demo-bloom-uploads", validation_alias="UPLOADS_BUCKET")
    storage_emulator_host: str | None = Field(None, validation_alias="STORAGE_EMULATOR_HOST")
    s3_endpoint_url: str | None = Field(None, validation_alias="S3_ENDPOINT_URL")
    s3_bucket: str | None = Field(None, validation_alias="S3_BUCKET")
    s3_region: str = Field("us-east-1", validation_alias="S3_REGION")
    s3_access_key_id: str | None = Field(None, validation_alias="S3_ACCESS_KEY_ID")
    s3_secret_access_key: SecretStr | None = Field(None, validation_alias="S3_SECRET_ACCESS_KEY")
    # Passkeys (WebAuthn): the relying party id (the site's registrable domain) and the origins allowed to sign.
    webauthn_rp_id: str = Field("localhost", validation_alias="WEBAUTHN_RP_ID")
    webauthn_origins: tuple[str, ...] = Field(("http://localhost:3000",), validation_alias="WEBAUTHN_ORIGINS")
    # The API's public base URL (ending in /api), for addresses handed out to other software (calendar feeds,
    # Front's channel): `public_url`.
    api_url: str = Field("http://localhost:35001/api", validation_alias="BLOOM_API_URL")
    slack_webhook_url_safety: SecretStr | None = Field(None, validation_alias="SLACK_WEBHOOK_URL_SAFETY")
    slack_webhook_url_support: SecretStr | None = Field(None, validation_alias="SLACK_WEBHOOK_URL_SUPPORT")
    openai_api_url: str = Field(DEFAULT_OPENAI_API_URL, validation_alias="OPENAI_API_URL")
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    # Credentialing's text embeddings: Vertex AI when deployed, the local model (a PyPI package) elsewhere.
    embeddings: Literal["local", "vertex"] = Field("local", validation_alias="EMBEDDINGS")
    vertex_location: str = Field("europe-west2", validation_alias="VERTEX_LOCATION")
    crisp_api_url: str = Field(DEFAULT_CRISP_API_URL, validation_alias="CRISP_API_URL")
    crisp_website_id: str | None = Field(None, validation_alias="CRISP_WEBSITE_ID")
    crisp_token_identifier: SecretStr | None = Field(None, validation_alias="CRISP_TOKEN_IDENTIFIER")
    crisp_token_key: SecretStr | None = Field(None, validation_alias="CRISP_TOKEN_KEY")
    # e.g. https://us21.api.mailchimp.com/3.0 (the data centre is the API key's suffix)
    mailchimp_api_url: str | None = Field(None, validation_alias="MAILCHIMP_API_URL")
    mailchimp_audience_id: str | None = Field(None, validation_alias="MAILCHIMP_AUDIENCE_ID")
    mailchimp_api_key: SecretStr | None = Field(None, validation_alias="MAILCHIMP_API_KEY")
    mailchimp_webhook_secret: SecretStr | None = Field(None, validation_alias="MAILCHIMP_WEBHOOK_SECRET")
    # respond.io workflow webhooks: their URLs carry the credential, so they are secrets
    respond_io_create_contact_webhook: SecretStr | None = Field(
        None, validation_alias="RESPOND_IO_CREATE_CONTACT_WEBHOOK"
    )
    respond_io_delete_contact_webhook: SecretStr | None = Field(
        None, validation_alias="RESPOND_IO_DELETE_CONTACT_WEBHOOK"
    )
    # Front (live chat, issue 23): the custom channel messages go to, its API token (Bearer), and the channel's
    # signing secret for the webhook Front calls when the team replies (`X-Front-Signature`)
    front_api_url: str = Field(DEFAULT_FRONT_API_URL, validation_alias="FRONT_API_URL")
    front_channel_id: str | None = Field(None, validation_alias="FRONT_CHANNEL_ID")
    front_api_token: SecretStr | None = Field(None, validation_alias="FRONT_API_TOKEN")
    front_app_secret: SecretStr | None = Field(None, validation_alias="FRONT_APP_SECRET")

    # Clinical records: the KEK that wraps data keys (Cloud KMS deployed; a local keyset file in development and
    # tests, which the local stack creates in its state directory), and how long erased records are kept.
    # Claims (docs/claims.md): Optum Medical Network (eligibility, professional claims, claim status) and the
    # practice's billing provider as the claims name it.
    optum_api_url: str = Field(DEFAULT_OPTUM_API_URL, validation_alias="OPTUM_API_URL")
    optum_client_id: SecretStr | None = Field(None, validation_alias="OPTUM_CLIENT_ID")
    optum_client_secret: SecretStr | None = Field(None, validation_alias="OPTUM_CLIENT_SECRET")
    billing_provider_name: str | None = Field(None, validation_alias="BILLING_PROVIDER_NAME")
    billing_provider_npi: str | None = Field(None, validation_alias="BILLING_PROVIDER_NPI")
    billing_provider_tax_id: str | None = Field(None, validation_alias="BILLING_PROVIDER_TAX_ID")
    billing_provider_address1: str | None = Field(None, validation_alias="BILLING_PROVIDER_ADDRESS1")
    billing_provider_city: str | None = Field(None, validation_alias="BILLING_PROVIDER_CITY")
    billing_provider_state: str | None = Field(None, validation_alias="BILLING_PROVIDER_STATE")
    billing_provider_postal_code: str | None = Field(None, validation_alias="BILLING_PROVIDER_POSTAL_CODE")

    kms_key_uri: str | None = Field(None, validation_alias="KMS_KEY_URI")
    local_keyset_path: str | None = Field(None, validation_alias="BLOOM_LOCAL_KEYSET")
    records_retention_years: NonNegativeInt = Field(7, validation_alias="RECORDS_RETENTION_YEARS")

    @field_validator("cors_origins", "webauthn_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("deployed", mode="before")
    @classmethod
    def _set_means_deployed(cls, value: Any) -> Any:
        """Cloud Run sets `K_SERVICE` to the service's name; any value means deployed."""
        return bool(value) if isinstance(value, str) else value

    @field_validator("expose_metrics", mode="before")
    @classmethod
    def _only_one_enables(cls, value: Any) -> Any:
        return value == "1" if isinstance(value, str) else value

    @field_validator(
        "slack_webhook_url_users",
        "slack_webhook_url_therapy",
        "slack_webhook_url_deleted_users",
        "slack_webhook_url_safety",
        "respond_io_create_contact_webhook",
        "respond_io_delete_contact_webhook",
        mode="before",
    )
    @classmethod
    def _url_without_whitespace(cls, value: Any) -> Any:
        """A secret pasted with a trailing newline is still the URL; one of only whitespace is no URL."""
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("reporting_timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _ends_with_slash(cls, value: str) -> str:
        """slack-sdk joins the method name to the base URL as is."""
        return value if value.endswith("/") else value + "/"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Validate the variables of `environ`; unknown ones are ignored, empty ones count as unset."""
        return cls.model_validate({name: value for name, value in environ.items() if value})

    def public_url(self, route: str) -> str:
        """The public address of one of our routes (`/api/...`, as declared): on the origin of `api_url`."""
        return self.api_url.rstrip("/").removesuffix("/api") + route

    def secret(self, name: str) -> str | None:
        """The value of the secret a function declares in `secrets=` (its env var and Secret Manager name).

        Secrets without a typed field here (a new webhook's credential) are read from their variable as it is
        now; Terraform maps every declared secret from Secret Manager to a variable of that name."""
        field = SECRET_FIELDS.get(name)
        if field is None:
            return os.environ.get(name, "").strip() or None
        value = getattr(self, field)
        return value.get_secret_value() if isinstance(value, SecretStr) else None


# secret name (= env var, = Secret Manager secret) -> field
SECRET_FIELDS: dict[str, str] = {
    str(field.validation_alias): name
    for name, field in Settings.model_fields.items()
    if field.annotation == SecretStr | None
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
