"""Crisp people profiles, through the REST API v1 (plugin tier).

Base `CRISP_API_URL` (default `https://api.crisp.chat/v1`), website `CRISP_WEBSITE_ID`, plugin token
`CRISP_TOKEN_IDENTIFIER`/`CRISP_TOKEN_KEY` (HTTP Basic, with `X-Crisp-Tier: plugin`). A profile is addressed by
its email (Crisp accepts it as the `people_id` in paths):
- `PUT  /website/{w}/people/profile/{email}` saves the profile (nickname, segments), replacing what was there;
  404 when there is none, then `POST /website/{w}/people/profile` creates it;
- `PUT  /website/{w}/people/data/{email}` saves the data fields, replacing them all;
- `DELETE /website/{w}/people/profile/{email}` removes the profile (404: already gone).

Plain `requests` through `integration_session` rather than the `crisp-api` client: four calls, and this way
they get the same timeouts, bounded retries and address-free log lines as every other integration.
Paths carry the address, so they are not logged (`log_path=False`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bloom.core.settings import get_settings
from bloom.crm.providers import ProviderRefused, check, unreachable

PROVIDER = "crisp"


def _base() -> tuple[str, tuple[str, str]]:
    settings = get_settings()
    identifier, key = settings.crisp_token_identifier, settings.crisp_token_key
    if settings.crisp_website_id is None or identifier is None or key is None:
        raise ProviderRefused("crisp: not configured (CRISP_WEBSITE_ID, CRISP_TOKEN_IDENTIFIER, CRISP_TOKEN_KEY)")
    base = f"{settings.crisp_api_url.rstrip('/')}/website/{quote(settings.crisp_website_id, safe='')}"
    return base, (identifier.get_secret_value(), key.get_secret_value())


def _people(email: str) -> str:
    return quote(email, safe="@")


def save_profile(profile: dict[str, Any]) -> None:
    """Create or replace the whole profile of `profile["email"]`, then its data fields."""
    import requests

    from bloom.platform.http_client import integration_session

    base, auth = _base()
    email = str(profile["email"])
    person = {"email": email, "person": profile["person"], "segments": profile["segments"]}
    try:
        with integration_session(PROVIDER, idempotent_post=True, log_path=False) as session:
            session.auth, session.headers["X-Crisp-Tier"] = auth, "plugin"
            saved = session.put(f"{base}/people/profile/{_people(email)}", json=person)
            if saved.status_code == 404:
                created = session.post(f"{base}/people/profile", json=person)
                check(PROVIDER, "create profile", created, ok=(409,))  # 409: created meanwhile; data follows
            else:
                check(PROVIDER, "save profile", saved)
            data = session.put(f"{base}/people/data/{_people(email)}", json={"data": profile["data"]})
            check(PROVIDER, "save data", data)
    except requests.RequestException as exc:
        raise unreachable(PROVIDER, "save", exc) from None


def delete_profile(email: str) -> None:
    import requests

    from bloom.platform.http_client import integration_session

    base, auth = _base()
    try:
        with integration_session(PROVIDER, log_path=False) as session:
            session.auth, session.headers["X-Crisp-Tier"] = auth, "plugin"
            response = session.delete(f"{base}/people/profile/{_people(email)}")
    except requests.RequestException as exc:
        raise unreachable(PROVIDER, "delete", exc) from None
    check(PROVIDER, "delete profile", response, ok=(404,))
