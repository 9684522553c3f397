"""Playbooks: loading and checking them (every problem with its file and line), and the YAML
reading the team's other files share."""
