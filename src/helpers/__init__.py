"""Helpers for the Longgang street party-building report: one module per pipeline stage."""
