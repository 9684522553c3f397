"""Reports rendered for people: text, JSON, and HTML with its charts (matplotlib lives here
and nowhere else)."""
