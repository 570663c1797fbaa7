"""Scheduling's domain rules, one module per subject; callers import from the subject's module.

* `recurrence` — series expansion in Europe/London wall-clock time (the DST rules);
* `sessions` — a session, and moving or cancelling one or the rest of its series;
* `clashes` — nobody in two places at once;
* `coaching` — a coaching offer's allowance, and facilitators' and coaches' monthly capacity;
* `goals` — a coaching enrolment's goals and progress notes, and who reads which;
* `continuity` — roster membership over time, attendance, and a group's continuity;
* `codesign` — a cohort's development needs ranked into session topics;
* `calendars` — sessions as an iCalendar feed.

Everything is pure: plain values in, plain values (or a `shared.errors` exception) out.
Instants are aware UTC datetimes; times typed by people are Europe/London
wall-clock times, refused when they do not name one instant (`recurrence`: the DST rules).
"""
