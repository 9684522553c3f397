"""Reports: the figures of a window, and the incident timeline."""
