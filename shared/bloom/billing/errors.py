"""The billing area's errors."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("billing")
INVOICE_NOT_FOUND = ERRORS.declare(404, "INVOICE NOT FOUND")
NOTHING_TO_PAY = ERRORS.declare(409, "NOTHING_TO_PAY")
ALREADY_PAID = ERRORS.declare(409, "ALREADY_PAID")
PAYMENTS_UNAVAILABLE = ERRORS.declare(502, "Payments are unavailable; please try again")
STRIPE_SIGNATURE_INVALID = ERRORS.declare(400, "STRIPE_SIGNATURE_INVALID")
