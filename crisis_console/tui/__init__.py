"""The Textual console: a thin layer over `ConsoleService`."""
