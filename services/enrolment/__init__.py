"""Convene's enrolment service."""
