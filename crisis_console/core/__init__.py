"""The domain: no UI imports here (checked by tests/test_boundary.py and import-linter)."""
