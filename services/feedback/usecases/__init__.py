"""Feedback's service layer: one module per subject (answers, attendance, publication, reports,
surveys, erasure, rebuild), each a set of small use cases `verb(unit, ...)` that read the store,
ask the domain what should happen, write it and record its events through the unit of work."""
