"""Request and response schemas of the enrolment API (allow-lists: unknown fields are refused).

ODS codes arrive as plain strings and the domain checks them, so that a bad code is answered
with the rule it breaks (`invalid_ods_code`) rather than a generic validation error.
"""

from marshmallow import Schema, fields, validate

from shared.api import PageQuery
from shared.contracts.common import LEADERSHIP_EXPERIENCE, OFFER_TYPES, PARTICIPANT_ROLES
from shared.schemas import PartialUpdate, UtcDateTime

OFFER_STATUSES = ("draft", "published", "started", "completed", "cancelled")
ENROLMENT_STATUSES = ("confirmed", "waitlisted", "withdrawn", "completed")
CODE = validate.Length(max=20)
MAX_CAPACITY = 10_000


def _text(maximum: int, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=maximum), **kwargs)


def _optional(field_class, **kwargs):
    return field_class(allow_none=True, load_default=None, **kwargs)


# --- Reference data -------------------------------------------------------------------


class RegionSchema(Schema):
    code = fields.String(metadata={"description": "NHS England region ODS code, e.g. Y56"})
    name = fields.String()
    ons_code = fields.String()


class PcnSchema(Schema):
    code = fields.String(metadata={"description": "PCN ODS code: U and five digits"})
    name = fields.String()
    sub_icb_code = fields.String()
    sub_icb_name = fields.String()
    region = fields.String()
    opened_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)


class PcnQuery(PageQuery):
    region = fields.String(validate=CODE, metadata={"description": "Only PCNs of this region (ODS code)"})


class PracticeSchema(Schema):
    code = fields.String(metadata={"description": "GP practice ODS code"})
    name = fields.String(allow_none=True)
    pcn_code = fields.String()


class PracticeQuery(PageQuery):
    pcn = fields.String(validate=CODE, metadata={"description": "Only practices of this PCN (ODS code)"})


class ImportRequestSchema(Schema):
    epcn_csv = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": (
                "The text of NHS ODS `epcn.csv`: no header; PCN code, name, sub-ICB code, sub-ICB name, open "
                "date, close date (YYYYMMDD), address lines, postcode."
            )
        },
    )
    practice_map_csv = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": (
                "The text of NHS Digital `gp-reg-pat-prac-map.csv`, header row included; PRACTICE_CODE, PCN_CODE "
                "and COMM_REGION_CODE are read (PRACTICE_NAME if present)."
            )
        },
    )
    dry_run = fields.Boolean(
        load_default=False,
        metadata={
            "description": (
                "true: a preview. The import is planned and checked as it would be (refusals included) and its "
                "changes reported, but nothing is written"
            )
        },
    )


class ImportCountsSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class SkippedRowSchema(Schema):
    file = fields.String(metadata={"description": "epcn_csv or practice_map_csv"})
    line = fields.Integer()
    reason = fields.String()


class FieldChangeSchema(Schema):
    field = fields.String(metadata={"description": "e.g. name, region, closed_on (a PCN); name, pcn_code (a practice)"})
    before = fields.String(allow_none=True, metadata={"description": "null: a PCN or practice new to Convene"})
    after = fields.String(allow_none=True)


class ReferenceChangeSchema(Schema):
    kind = fields.String(metadata={"description": "pcn or practice"})
    code = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "Its name after the import"})
    change = fields.String(metadata={"description": "added (new to Convene) or changed"})
    differences = fields.List(
        fields.Nested(FieldChangeSchema), metadata={"description": "What changes, before and after"}
    )


class ImportReportSchema(Schema):
    pcns = fields.Nested(ImportCountsSchema)
    practices = fields.Nested(ImportCountsSchema)
    skipped = fields.Integer(metadata={"description": "Well-formed rows that could not be placed (see skipped_rows)"})
    out_of_scope = fields.Integer(
        metadata={"description": "Rows of other regions, left alone by a regional administrator's import"}
    )
    skipped_rows = fields.List(fields.Nested(SkippedRowSchema), metadata={"description": "The first 100 skipped rows"})
    dry_run = fields.Boolean(metadata={"description": "true: a preview; nothing was written"})
    changes = fields.List(
        fields.Nested(ReferenceChangeSchema),
        metadata={"description": "The first 500 PCNs and practices added or changed, PCNs first"},
    )


# --- Participants ---------------------------------------------------------------------


class ParticipantCreateSchema(Schema):
    name = _text(200, required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_ROLES))
    pcn_code = fields.String(
        required=True, validate=CODE, metadata={"description": "The participant's PCN; their region is the PCN's"}
    )
    practice_code = _optional(fields.String, validate=CODE)
    leadership_experience = fields.String(required=True, validate=validate.OneOf(LEADERSHIP_EXPERIENCE))


class ParticipantSchema(Schema):
    id = fields.String()
    name = fields.String()
    email = fields.String()
    role = fields.String()
    pcn_code = fields.String()
    practice_code = fields.String(allow_none=True)
    region = fields.String()
    leadership_experience = fields.String()
    created_at = UtcDateTime()


class ParticipantQuery(PageQuery):
    pcn = fields.String(validate=CODE)
    role = fields.String(validate=validate.OneOf(PARTICIPANT_ROLES))
    email = fields.String(
        validate=validate.Length(min=1, max=254),
        metadata={
            "description": (
                "Only the participant with this e-mail address, whatever its case (an exact match: names and "
                "addresses are stored sealed, so there is no partial search)"
            )
        },
    )
    erased = fields.Boolean(
        metadata={"description": "true: only erased participants; false: only those not erased; absent: both"}
    )


# --- Offers -----------------------------------------------------------------------------


class OfferUpdateSchema(PartialUpdate):
    title = _text(200)
    capacity = fields.Integer(strict=True, validate=validate.Range(max=MAX_CAPACITY))
    starts_on = fields.Date()
    ends_on = fields.Date()
    planned_sessions = fields.Integer(strict=True, validate=validate.Range(max=500))
    basis = fields.String(
        validate=validate.Length(max=20), metadata={"description": "action_learning_set: project, place or individual"}
    )
    session_allowance = fields.Integer(
        strict=True, metadata={"description": "coaching: sessions in the allowance (1-50)"}
    )


class OfferCreateSchema(OfferUpdateSchema):
    offer_type = fields.String(required=True, validate=validate.OneOf(OFFER_TYPES))
    title = _text(200, required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(max=MAX_CAPACITY))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    planned_sessions = fields.Integer(required=True, strict=True, validate=validate.Range(max=500))
    pcn_code = _optional(fields.String, validate=CODE, metadata={"description": "pcn_team: the PCN whose team it is"})
    basis = _optional(
        fields.String,
        validate=validate.Length(max=20),
        metadata={"description": "action_learning_set: project, place or individual"},
    )
    session_allowance = _optional(
        fields.Integer, strict=True, metadata={"description": "coaching: sessions in the allowance (1-50)"}
    )


class OfferSchema(Schema):
    id = fields.String()
    region = fields.String(metadata={"description": "Region ODS code, or `national`"})
    offer_type = fields.String()
    title = fields.String()
    capacity = fields.Integer()
    status = fields.String()
    pcn_code = fields.String(allow_none=True)
    basis = fields.String(allow_none=True)
    session_allowance = fields.Integer(allow_none=True)
    planned_sessions = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    places_taken = fields.Integer(
        metadata={
            "description": "Exact for the offer's manager; to the nearest 5 for everyone else (docs/disclosure.md)"
        }
    )
    waitlist_length = fields.Integer(
        metadata={"description": "Exact for the offer's manager; to the nearest 5 for everyone else"}
    )
    open_places = fields.Boolean(metadata={"description": "A place is free now: enrolling confirms at once"})
    version = fields.Integer(metadata={"description": "Also sent as the ETag; PATCH needs it in If-Match"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class OfferQuery(PageQuery):
    region = fields.String(validate=CODE)
    type = fields.String(validate=validate.OneOf(OFFER_TYPES))
    status = fields.String(validate=validate.OneOf(OFFER_STATUSES))


# --- Enrolments ---------------------------------------------------------------------------


class EnrolmentRequestSchema(Schema):
    participant_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class TeamEnrolmentRequestSchema(Schema):
    participant_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), required=True, validate=validate.Length(min=1, max=100)
    )


class EnrolmentSchema(Schema):
    id = fields.String()
    offer_id = fields.String()
    participant_id = fields.String()
    status = fields.String()
    waitlist_position = fields.Integer(
        allow_none=True, metadata={"description": "1 is next in line; null unless waitlisted"}
    )
    withdrawal_reason = fields.String(
        allow_none=True,
        metadata={
            "description": (
                "Why a withdrawn enrolment ended: withdrew, participant_erased, waitlist_released (a closed "
                "group started) or offer_cancelled; null while active (and for withdrawals recorded before "
                "reasons were)"
            )
        },
    )
    requested_at = UtcDateTime()
    updated_at = UtcDateTime()


class RosterEntrySchema(EnrolmentSchema):
    role = fields.String()
    pcn_code = fields.String()


class TeamEnrolmentSchema(Schema):
    items = fields.List(fields.Nested(EnrolmentSchema))


class RosterQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ENROLMENT_STATUSES))


# --- E-mail preferences -----------------------------------------------------------------


class NotificationPreferencesInSchema(Schema):
    """The e-mails a participant may turn off; what happens to their place they are always told."""

    reminders = fields.Boolean(required=True, metadata={"description": "a reminder the day before each session"})
    feedback_requests = fields.Boolean(
        required=True, metadata={"description": "a request for feedback after each session attended"}
    )


class NotificationPreferencesSchema(NotificationPreferencesInSchema):
    participant_id = fields.String()
    version = fields.Integer(metadata={"description": "Also sent as the ETag; PUT needs it in If-Match"})
