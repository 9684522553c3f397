"""Intake: every way mentions arrive — JSON Lines or whole JSON documents, the platforms' and
archive tools' JSON, CSV exports and Excel workbooks with their column mappings and dates, a
followed file, the signed webhook's body — and the problems reported for what cannot be read,
and the notices for what a platform left out."""
