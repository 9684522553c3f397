"""Fixtures of the team-mode tests."""

from tests.postgres.team_fixture import team  # noqa: F401  (a fixture)
