"""Fixtures of the security tests: the reply tests' desk (one complaint, every template
approved)."""

from tests.core.test_replies import desk  # noqa: F401  (a fixture)
