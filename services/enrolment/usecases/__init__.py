"""Enrolment's service layer: one module per subject, each a set of small use cases that read
the store, ask the domain what should happen, write the answer and record its events."""
