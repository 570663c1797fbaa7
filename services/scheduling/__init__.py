"""Convene's scheduling service."""
