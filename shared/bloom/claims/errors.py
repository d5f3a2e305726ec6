"""The claims area's errors. A claim, insurance or patient the caller may not see is answered as not found."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("claims")
INSURANCE_NOT_FOUND = ERRORS.declare(404, "INSURANCE_NOT_FOUND")
CLAIM_NOT_FOUND = ERRORS.declare(404, "CLAIM_NOT_FOUND")
CLAIM_NOT_DRAFT = ERRORS.declare(409, "CLAIM_NOT_DRAFT")
CLAIM_SUBMISSION_IN_PROGRESS = ERRORS.declare(409, "CLAIM_SUBMISSION_IN_PROGRESS")
OPTUM_UNAVAILABLE = ERRORS.declare(503, "OPTUM_UNAVAILABLE")
OPTUM_REFUSED = ERRORS.declare(502, "OPTUM_REFUSED")
# Validation before a draft is made and before it is submitted: each names its field (all problems are listed).
INVALID_DIAGNOSIS_CODES = ERRORS.declare(400, "diagnosisCodes must be ICD-10-CM codes (e.g. F43.10)")
INVALID_PROCEDURE_CODE = ERRORS.declare(400, "procedureCode must be one of 90791, 90832, 90834, 90837, 90846, 90847")
INVALID_PLACE_OF_SERVICE = ERRORS.declare(400, "placeOfService must be 02, 10 or 11")
INVALID_RENDERING_NPI = ERRORS.declare(400, "renderingNpi must be a valid NPI")
INVALID_BILLING_PROVIDER = ERRORS.declare(
    400, "billingProvider must be configured (name, tax id, address) with a valid NPI"
)
CHARGE_NOT_IN_USD = ERRORS.declare(400, "chargeAmount must be the appointment's price in USD")
APPOINTMENT_NOT_COMPLETED = ERRORS.declare(400, "appointmentId must be a completed appointment")
NO_INSURANCE = ERRORS.declare(400, "insurance: the patient has no insurance on file")
