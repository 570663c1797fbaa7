"""Convene's three services: enrolment, scheduling, feedback."""
