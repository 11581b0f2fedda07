"""E-mail addresses checked by email-validator (RFC 5321/5322 syntax, internationalised names, no DNS lookup)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def normalise(value: object) -> str | None:
    """The address in its normal form (the domain lower-cased, IDN as written), or None when it is not valid."""
    if value is None:
        return None
    try:
        return validate_email(str(value).strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def is_valid(value: object) -> bool:
    """Whether `value` is a deliverable-looking e-mail address (syntax only: no DNS query is made)."""
    return normalise(value) is not None
