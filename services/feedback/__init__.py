"""Convene's feedback service."""
