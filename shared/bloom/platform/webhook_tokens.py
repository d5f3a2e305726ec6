"""Verification by a token in the query string, for providers that can neither sign a delivery nor set a header."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bloom.platform.webhooks import NO_QUERY, SharedToken


@dataclass(frozen=True)
class QueryToken(SharedToken):
    """A `SharedToken` the provider sends in the query string (`?<header>=…`, Mailchimp's `?secret=`), for those
    that can neither sign nor set a header. The query string is never logged."""

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY) -> None:
        super().verify(raw_body, {self.header.lower(): query.get(self.header, "")})
