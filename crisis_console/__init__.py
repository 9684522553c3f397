"""Crisis Console: triage social-media mentions and run crisis playbooks from a terminal."""

__version__ = "0.1.0"
