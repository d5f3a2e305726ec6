"""The request bodies we send Optum, built from the decrypted insurance inside a use case (never stored, never
logged): Eligibility v3, Professional Claims v3 (837P) and Claim Status v2. Dates are `YYYYMMDD`, amounts dollar
strings, diagnosis codes without their dot, control numbers nine digits (Optum's documented shapes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bloom.claims.models import ClaimRecord, MemberData
from bloom.core.settings import get_settings


@dataclass(frozen=True)
class BillingProvider:
    """The practice as the claims name it (settings `BILLING_PROVIDER_*`)."""

    name: str
    npi: str
    tax_id: str
    address1: str
    city: str
    state: str
    postal_code: str

    @property
    def complete(self) -> bool:
        return all((self.name, self.npi, self.tax_id, self.address1, self.city, self.state, self.postal_code))

    def address(self) -> dict[str, str]:
        return {"address1": self.address1, "city": self.city, "state": self.state, "postalCode": self.postal_code}


def billing_provider() -> BillingProvider:
    settings = get_settings()
    return BillingProvider(
        name=settings.billing_provider_name or "",
        npi=settings.billing_provider_npi or "",
        tax_id=settings.billing_provider_tax_id or "",
        address1=settings.billing_provider_address1 or "",
        city=settings.billing_provider_city or "",
        state=settings.billing_provider_state or "",
        postal_code=settings.billing_provider_postal_code or "",
    )


def optum_date(value: date | datetime) -> str:
    return value.strftime("%Y%m%d")


def dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _subscriber(member: MemberData) -> dict[str, Any]:
    subscriber = {
        "memberId": member.member_id,
        "firstName": member.first_name,
        "lastName": member.last_name,
        "dateOfBirth": optum_date(date.fromisoformat(member.date_of_birth)),
    }
    if member.group_number:
        subscriber["groupNumber"] = member.group_number
    return subscriber


def eligibility_request(
    control_number: str, payer_id: str, member: MemberData, provider: BillingProvider, on: date
) -> dict[str, Any]:
    """Coverage for professional (physician) office visits on `on` (service type 98)."""
    return {
        "controlNumber": control_number,
        "tradingPartnerServiceId": payer_id,
        "provider": {"organizationName": provider.name, "npi": provider.npi},
        "subscriber": _subscriber(member),
        "encounter": {"dateOfService": optum_date(on), "serviceTypeCodes": ["98"]},
    }


def claim_request(claim: ClaimRecord, member: MemberData, provider: BillingProvider, usage: str) -> dict[str, Any]:
    """An original (frequency 1) commercial (CI) professional claim of one service line."""
    charge = dollars(claim.charge_amount)
    diagnoses = [
        {"diagnosisTypeCode": "ABK" if n == 0 else "ABF", "diagnosisCode": code.replace(".", "")}
        for n, code in enumerate(claim.diagnosis_codes)
    ]
    pointers = [str(n + 1) for n in range(min(len(diagnoses), 4))]
    subscriber = {**_subscriber(member), "paymentResponsibilityLevelCode": "P"}
    return {
        "controlNumber": claim.control_number,
        "tradingPartnerServiceId": claim.payer_id,
        "usageIndicator": usage,
        "submitter": {"organizationName": provider.name, "contactInformation": {"name": provider.name}},
        "receiver": {"organizationName": claim.payer_id},
        "subscriber": subscriber,
        "billing": {
            "providerType": "BillingProvider",
            "npi": provider.npi,
            "employerId": provider.tax_id,
            "organizationName": provider.name,
            "address": provider.address(),
        },
        "rendering": {"providerType": "RenderingProvider", "npi": claim.rendering_npi},
        "claimInformation": {
            "claimFilingCode": "CI",
            "patientControlNumber": claim.control_number,
            "claimChargeAmount": charge,
            "placeOfServiceCode": claim.place_of_service,
            "claimFrequencyCode": "1",
            "signatureIndicator": "Y",
            "planParticipationCode": "A",
            "benefitsAssignmentCertificationIndicator": "Y",
            "releaseInformationCode": "Y",
            "healthCareCodeInformation": diagnoses,
            "serviceLines": [
                {
                    "serviceDate": optum_date(claim.service_date),
                    "professionalService": {
                        "procedureIdentifier": "HC",
                        "procedureCode": claim.procedure_code,
                        "lineItemChargeAmount": charge,
                        "measurementUnit": "UN",
                        "serviceUnitCount": "1",
                        "placeOfServiceCode": claim.place_of_service,
                        "compositeDiagnosisCodePointers": {"diagnosisCodePointers": pointers},
                    },
                }
            ],
        },
    }


def claim_status_request(
    control_number: str, claim: ClaimRecord, member: MemberData, provider: BillingProvider
) -> dict[str, Any]:
    """The status of one claim, found by its date of service, patient control number and payer claim number."""
    day = optum_date(claim.service_date)
    encounter: dict[str, Any] = {
        "beginningDateOfService": day,
        "endDateOfService": day,
        "patientAccountNumber": claim.control_number,
        "submittedAmount": dollars(claim.charge_amount),
    }
    if claim.payer_claim_id:
        encounter["tradingPartnerClaimNumber"] = claim.payer_claim_id
    subscriber = _subscriber(member)
    subscriber.pop("groupNumber", None)
    return {
        "controlNumber": control_number,
        "tradingPartnerServiceId": claim.payer_id,
        "providers": [
            {"providerType": "BillingProvider", "organizationName": provider.name, "taxId": provider.tax_id},
            {"providerType": "ServiceProvider", "organizationName": provider.name, "npi": claim.rendering_npi},
        ],
        "subscriber": subscriber,
        "encounter": encounter,
    }
