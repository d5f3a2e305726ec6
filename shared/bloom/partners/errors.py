"""The partners area's errors (the API contract's strings; the frontend matches them exactly)."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue, ErrorSpec
from bloom.partners.codes import CodeProblem

ERRORS = ErrorCatalogue("partners")
PARTNER_ALREADY_EXISTS = ERRORS.declare(409, "PARTNER_ALREADY_EXISTS")
PARTNER_NOT_FOUND = ERRORS.declare(404, "PARTNER NOT FOUND")
FEATURE_NOT_FOUND = ERRORS.declare(404, "FEATURE NOT FOUND")
FEATURE_ALREADY_EXISTS = ERRORS.declare(409, "FEATURE_ALREADY_EXISTS")
PARTNER_FEATURE_NOT_FOUND = ERRORS.declare(404, "PARTNER FEATURE NOT FOUND")
PARTNER_FEATURE_ALREADY_EXISTS = ERRORS.declare(409, "PARTNER_FEATURE_ALREADY_EXISTS")
PARTNER_DOES_NOT_EXIST = ERRORS.declare(400, "Partner does not exist")
USER_DOES_NOT_EXIST = ERRORS.declare(400, "User does not exist")
ALREADY_PARTNER_ADMIN = ERRORS.declare(400, "User is already a partner admin")
PARTNER_ADMIN_DOES_NOT_EXIST = ERRORS.declare(400, "Partner admin does not exist")
PARTNER_ACCESS_NOT_FOUND = ERRORS.declare(404, "PARTNER ACCESS NOT FOUND")
INVALID_PARTNER_ID = ERRORS.declare(400, "Invalid partnerId supplied")
PARTNER_NOT_ACTIVE = ERRORS.declare(400, "Partner is not active")
NO_AUTOMATIC_ACCESS_FEATURE = ERRORS.declare(400, "Partner does not have automatic access code Feature")
CODE_PROBLEMS: dict[CodeProblem, ErrorSpec] = {
    problem: ERRORS.declare(problem.status_code, problem.value) for problem in CodeProblem
}
CODE_ERRORS = tuple(CODE_PROBLEMS.values())
