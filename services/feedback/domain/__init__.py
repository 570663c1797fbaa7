"""Feedback's domain, pure Python: one module per subject (session feedback, needs, outcomes,
the aggregates an answer counts in, figures and their suppression). Import from the modules."""
