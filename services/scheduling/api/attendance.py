"""Attendance at a session, and the continuity of a learning community."""

from services.scheduling.api.roles import LEADERS
from services.scheduling.schemas import AttendanceInSchema, AttendanceSheetSchema, ContinuitySchema
from services.scheduling.usecases import attendance
from shared.api import Api

attendance_api = Api("attendance", __name__)


@attendance_api.put(
    "/v1/sessions/<session_id>/attendance",
    summary="Record members' attendance (the latest mark wins)",
    roles=LEADERS,
    body=AttendanceInSchema,
    response=AttendanceSheetSchema,
)
def record_attendance(unit, session_id, body):
    return attendance.record_attendance(unit, session_id, body)


@attendance_api.get(
    "/v1/sessions/<session_id>/attendance",
    summary="A session's attendance",
    roles=LEADERS,
    response=AttendanceSheetSchema,
)
def get_attendance(unit, session_id):
    return attendance.attendance_sheet(unit, session_id)


@attendance_api.get(
    "/v1/offers/<offer_id>/continuity",
    summary="Continuity of a learning community: attendance and stability",
    roles=LEADERS,
    response=ContinuitySchema,
)
def get_continuity(unit, offer_id):
    return attendance.continuity(unit, offer_id)
