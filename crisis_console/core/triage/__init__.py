"""Triage: sentiment (our VADER), urgency and category with their reasons, routing per the
playbook, spike detection, and measuring all of it against labelled posts."""
