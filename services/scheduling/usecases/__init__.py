"""Scheduling's service layer: one module per subject (sessions, coaching, facilitators, rosters,
attendance, codesign, calendars, and the access checks they share), each a set of small use
cases that read the store, ask the domain what should happen, write the answer and record its
events."""
