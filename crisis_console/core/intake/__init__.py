"""Intake: every way mentions arrive — JSON Lines, the platforms' JSON, CSV exports with their
column mappings and dates, a followed file, the signed webhook's body — and the problems
reported for what cannot be read."""
