"""Feedback's service layer: one module per subject (answers, publication, reports, surveys,
erasure), each a set of small use cases that read the store, ask the domain what should
happen, write the answer and record its events."""
