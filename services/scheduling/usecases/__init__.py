"""Scheduling's service layer: one module per subject (sessions, coaching, goals, facilitators, rosters,
attendance, codesign, calendars; `access`, the checks they share; `events`, the payloads they
publish), each a set of small use cases `verb(unit, ...)` that read the store, ask the domain
what should happen, write the answer and record its events through the unit. The HTTP views and
the event handlers call the same use cases."""
