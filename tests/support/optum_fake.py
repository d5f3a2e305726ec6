"""Optum Medical Network as a local HTTP server with state, answering in Optum's documented shapes and checking
what we send (see /work/prompts/part3-facts.md for the sources): the token endpoint (a JSON body with the client
credentials and `grant_type: client_credentials`), Eligibility v3, Professional Claims v3 submission and Claim
Status v2 (a bearer token the fake issued; control numbers of exactly nine digits; dates `YYYYMMDD`; the fields
Optum's specs require). Payer rejections are 200 with `errors`, as Optum answers them.

Members: `0000000000` is covered (active, copay 12, coinsurance 20 %, deductible remaining 1484), `INACTIVE1` is
not, any other member id is unknown to the payer (AAA error 72). A claim whose `patientControlNumber` is
`test00005` (or any, while `reject_submissions`) gets the sandbox's canned EDITS answer. Claim Status answers what
`status_of[patientControlNumber]` says (a category code and a status code), or A1 ("acknowledged") when nothing
was set.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

OPTUM = "/optum"
CLIENT_ID, CLIENT_SECRET = "test-optum-client", "test-optum-client-secret"
COVERED_MEMBER, INACTIVE_MEMBER = "0000000000", "INACTIVE1"
BILLING_NPI, RENDERING_NPI = "1760854442", "1234567893"
_DATE = re.compile(r"^[0-9]{8}$")
_CONTROL = re.compile(r"^[0-9]{9}$")


def optum_env(base_url: str) -> dict[str, str]:
    """The settings that point the claims area at the fake on `base_url`, with a valid billing provider."""
    return {
        "OPTUM_API_URL": f"{base_url.rstrip('/')}{OPTUM}",
        "OPTUM_CLIENT_ID": CLIENT_ID,
        "OPTUM_CLIENT_SECRET": CLIENT_SECRET,
        "BILLING_PROVIDER_NAME": "Bloom Practice",
        "BILLING_PROVIDER_NPI": BILLING_NPI,
        "BILLING_PROVIDER_TAX_ID": "123456789",
        "BILLING_PROVIDER_ADDRESS1": "1 Main Street",
        "BILLING_PROVIDER_CITY": "Seattle",
        "BILLING_PROVIDER_STATE": "WA",
        "BILLING_PROVIDER_POSTAL_CODE": "981010000",
    }


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(field_name: str, code: str, description: str) -> dict[str, Any]:
    return {"field": field_name, "code": code, "description": description, "followupAction": "Please Correct"}


def _missing(body: dict[str, Any], *paths: str) -> list[str]:
    """The dotted paths of `paths` that `body` lacks (or holds empty)."""
    missing = []
    for path in paths:
        value: Any = body
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, "", [], {}):
            missing.append(path)
    return missing


@dataclass
class Optum:
    """Optum's gateway as the fake keeps it: tokens issued, requests received, claims submitted, and every call
    (method, path, status)."""

    token_seconds: int = 3600
    token_delay_s: float = 0.3  # long enough for concurrent callers to arrive during a token request
    revoked: set[str] = field(default_factory=set)
    down: bool = False  # the API answers 503
    reject_submissions: bool = False  # every submission gets the canned EDITS answer, as `test00005` does
    status_of: dict[str, tuple[str, str]] = field(default_factory=dict)  # patientControlNumber -> (category, code)
    tokens: list[str] = field(default_factory=list)
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, body) of API calls
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)  # patientControlNumber -> submission
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(2108151508527))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, server: HTTPServer) -> Optum:
        server.expect_request(f"{OPTUM}/apip/auth/v2/token", method="POST").respond_with_handler(self._token)
        api = re.compile(f"^{OPTUM}/medicalnetwork/.*")
        server.expect_request(api, method="POST").respond_with_handler(self._api)
        return self

    def count(self, path_start: str) -> int:
        return sum(1 for _, path, _ in self.calls if path.startswith(f"{OPTUM}{path_start}"))

    def bodies(self, path_start: str) -> list[dict[str, Any]]:
        return [body for path, body in self.received if path.startswith(f"{OPTUM}{path_start}")]

    def _log(self, request: Request, response: Response) -> Response:
        with self._lock:
            self.calls.append((request.method, request.path, response.status_code))
        return response

    def _token(self, request: Request) -> Response:
        if request.mimetype != "application/json":
            return self._log(request, _json({"error": "invalid_request", "error_description": "JSON only"}, 400))
        body = request.get_json(silent=True) or {}
        if body.get("grant_type") != "client_credentials":
            return self._log(request, _json({"error": "unsupported_grant_type"}, 400))
        if (body.get("client_id"), body.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return self._log(request, _json({"error": "invalid_client", "error_description": "bad credentials"}, 401))
        time.sleep(self.token_delay_s)
        with self._lock:
            token = f"optum-token-{len(self.tokens) + 1}"
            self.tokens.append(token)
        return self._log(
            request, _json({"access_token": token, "expires_in": self.token_seconds, "token_type": "bearer"})
        )

    def _api(self, request: Request) -> Response:
        authorization = request.headers.get("Authorization")
        if authorization is None:
            return self._log(request, _json({"errors": [_error("Authorization", "400", "missing header")]}, 400))
        bearer = authorization.removeprefix("Bearer ")
        if bearer not in self.tokens or bearer in self.revoked:
            return self._log(request, _json({"error": "invalid_token"}, 401))
        if self.down:
            return self._log(request, _json({"message": "service unavailable"}, 503))
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or request.mimetype != "application/json":
            return self._log(request, _json({"errors": [_error("body", "400", "not JSON")]}, 400))
        with self._lock:
            self.received.append((request.path, body))
        rest = request.path.removeprefix(OPTUM)
        if not _CONTROL.fullmatch(str(body.get("controlNumber", ""))):
            return self._log(request, _json({"errors": [_error("controlNumber", "400", "9 digits")]}, 400))
        if rest == "/medicalnetwork/eligibility/v3/":
            return self._log(request, self._eligibility(body))
        if rest == "/medicalnetwork/professionalclaims/v3/submission":
            return self._log(request, self._submission(body))
        if rest == "/medicalnetwork/claimstatus/v2/":
            return self._log(request, self._claim_status(body))
        return self._log(request, _json({"message": "no such API"}, 404))

    def _eligibility(self, body: dict[str, Any]) -> Response:
        missing = _missing(
            body, "subscriber.memberId", "subscriber.firstName", "subscriber.lastName", "subscriber.dateOfBirth"
        )
        if missing or not _DATE.fullmatch(body["subscriber"]["dateOfBirth"]):
            return _json({"errors": [_error(path, "400", "required") for path in missing or ["dateOfBirth"]]}, 400)
        encounter = body.get("encounter", {})
        if not _DATE.fullmatch(str(encounter.get("dateOfService", ""))):
            return _json({"errors": [_error("encounter.dateOfService", "400", "CCYYMMDD")]}, 400)
        member = body["subscriber"]["memberId"]
        answer: dict[str, Any] = {
            "meta": {"traceId": "trace-1"},
            "controlNumber": body["controlNumber"],
            "tradingPartnerServiceId": body.get("tradingPartnerServiceId"),
            "subscriber": {**body["subscriber"], "gender": "M"},
            "payer": {"name": "EXTRA HEALTHY INSURANCE", "payorIdentification": body.get("tradingPartnerServiceId")},
        }
        if member == COVERED_MEMBER:
            answer["planInformation"] = {"planDescription": "GOLD PPO", "groupNumber": "G1"}
            answer["planStatus"] = [{"statusCode": "1", "status": "Active Coverage", "planDetails": "GOLD PPO"}]
            answer["benefitsInformation"] = [
                {"code": "1", "name": "Active Coverage", "serviceTypeCodes": ["30"], "planCoverage": "GOLD PPO"},
                {"code": "B", "name": "Co-Payment", "serviceTypeCodes": ["98"], "timeQualifierCode": "7",
                 "timeQualifier": "Day", "benefitAmount": "12", "inPlanNetworkIndicatorCode": "W"},
                {"code": "A", "name": "Co-Insurance", "serviceTypeCodes": ["98"], "benefitPercent": "0.2",
                 "inPlanNetworkIndicatorCode": "Y"},
                {"code": "C", "name": "Deductible", "serviceTypeCodes": ["30"], "timeQualifierCode": "29",
                 "timeQualifier": "Remaining", "benefitAmount": "1484",
                 "benefitsDateInformation": {"plan": "20300101-20301231"}},
            ]  # fmt: skip
        elif member == INACTIVE_MEMBER:
            answer["planStatus"] = [{"statusCode": "6", "status": "Inactive"}]
            answer["benefitsInformation"] = [{"code": "6", "name": "Inactive", "serviceTypeCodes": ["30"]}]
        else:
            answer["subscriber"]["aaaErrors"] = [{"code": "72", "description": "Invalid/Missing Subscriber ID"}]
            answer["errors"] = [_error("subscriber.memberId", "72", "Invalid/Missing Subscriber ID")]
        return _json(answer)

    def _submission(self, body: dict[str, Any]) -> Response:
        missing = _missing(
            body,
            "submitter.contactInformation.name",
            "receiver.organizationName",
            "subscriber.paymentResponsibilityLevelCode",
            "billing.providerType",
            "billing.address.address1",
            "billing.address.city",
            *(f"claimInformation.{name}" for name in CLAIM_REQUIRED),
        )
        info = body.get("claimInformation", {})
        lines = info.get("serviceLines") or []
        line_problems = [
            n
            for n, line in enumerate(lines)
            if not _DATE.fullmatch(str(line.get("serviceDate", "")))
            or _missing(line.get("professionalService", {}), *SERVICE_REQUIRED)
        ]
        codes = info.get("healthCareCodeInformation") or []
        dotted = [item for item in codes if "." in str(item.get("diagnosisCode", ""))]
        if missing or line_problems or dotted or not 1 <= len(codes) <= 12:
            errors = [_error(path, "400", "required") for path in missing]
            errors += [_error(f"claimInformation.serviceLines[{n}]", "400", "invalid") for n in line_problems]
            errors += [_error("claimInformation.healthCareCodeInformation", "400", "no dots")] * bool(dotted)
            return _json({"status": "ERROR", "errors": errors or [_error("claimInformation", "400", "codes")]}, 400)
        control = info["patientControlNumber"]
        answer: dict[str, Any] = {
            "controlNumber": body["controlNumber"],
            "tradingPartnerServiceId": body.get("tradingPartnerServiceId"),
            "meta": {"traceId": "trace-2", "applicationMode": "pro"},
            "payer": {"payerName": "Unknown", "payerID": body.get("tradingPartnerServiceId")},
        }
        if control == "test00005" or self.reject_submissions:
            answer.update(status="EDITS", editStatus="EDITS")
            answer["errors"] = [
                _error("claimInformation.serviceLines[0].serviceDate", "33", "Service date is after the claim date")
            ]
            return _json(answer)
        with self._lock:
            self.claims[control] = body
        answer.update(status="SUCCESS", editStatus="SUCCESS")
        answer["claimReference"] = {
            "correlationId": f"210322R999898~{next(self._numbers)}",
            "customerClaimNumber": body["controlNumber"],
            "patientControlNumber": control,
            "claimType": "PRO",
            "formatVersion": "5010",
            "rhclaimNumber": str(next(self._numbers)),
        }
        return _json(answer)

    def _claim_status(self, body: dict[str, Any]) -> Response:
        missing = _missing(body, "subscriber.memberId", "subscriber.firstName", "subscriber.lastName")
        providers = body.get("providers") or []
        if missing or not providers or any(p.get("providerType") not in PROVIDER_TYPES for p in providers):
            return _json({"errorResponse": {"code": "400", "errors": [_error(p, "400", "required") for p in missing]}})
        encounter = body.get("encounter", {})
        account = encounter.get("patientAccountNumber")
        submitted = self.claims.get(str(account))
        answer: dict[str, Any] = {
            "controlNumber": body["controlNumber"],
            "tradingPartnerServiceId": body.get("tradingPartnerServiceId"),
            "payer": {"organizationName": "EXTRA HEALTHY INSURANCE"},
            "subscriber": body["subscriber"],
            "meta": {"traceId": "trace-3"},
            "status": "COMPLETE",
        }
        if submitted is None or submitted["subscriber"]["memberId"] != body["subscriber"]["memberId"]:
            answer["claims"] = [{"claimStatus": {"statusCategoryCode": "A4", "statusCode": "35"}}]
            return _json(answer)
        category, code = self.status_of.get(str(account), ("A1", "19"))
        answer["claims"] = [
            {
                "claimStatus": {
                    "statusCategoryCode": category,
                    "statusCategoryCodeValue": "status",
                    "statusCode": code,
                    "tradingPartnerClaimNumber": f"PAYER-{account}",
                    "patientAccountNumber": account,
                    "claimServiceDate": encounter.get("beginningDateOfService"),
                    "submittedAmount": encounter.get("submittedAmount"),
                }
            }
        ]
        return _json(answer)


CLAIM_REQUIRED = (
    "claimFilingCode",
    "patientControlNumber",
    "claimChargeAmount",
    "placeOfServiceCode",
    "claimFrequencyCode",
    "signatureIndicator",
    "planParticipationCode",
    "benefitsAssignmentCertificationIndicator",
    "releaseInformationCode",
    "healthCareCodeInformation",
    "serviceLines",
)
SERVICE_REQUIRED = (
    "procedureIdentifier",
    "procedureCode",
    "lineItemChargeAmount",
    "measurementUnit",
    "serviceUnitCount",
    "compositeDiagnosisCodePointers.diagnosisCodePointers",
)
PROVIDER_TYPES = ("BillingProvider", "ServiceProvider")
