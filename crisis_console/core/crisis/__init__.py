"""Crisis mode: the level and its checklist, harm alarms, the timers, and notifications."""
