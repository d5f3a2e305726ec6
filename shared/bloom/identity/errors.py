"""The identity area's error catalogue."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("identity")
PASSKEY_NOT_FOUND = ERRORS.declare(404, "PASSKEY NOT FOUND")
PASSKEY_CHALLENGE_INVALID = ERRORS.declare(400, "PASSKEY CHALLENGE INVALID OR EXPIRED")
PASSKEY_REGISTRATION_FAILED = ERRORS.declare(400, "PASSKEY REGISTRATION FAILED")
PASSKEY_ALREADY_REGISTERED = ERRORS.declare(409, "PASSKEY ALREADY REGISTERED")
# One answer for every failed login (unknown passkey, bad signature, counter gone backwards): nothing to probe.
PASSKEY_LOGIN_FAILED = ERRORS.declare(401, "PASSKEY LOGIN FAILED")
