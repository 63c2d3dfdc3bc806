"""Feeds: canonical story URLs, parsing RSS/Atom, discovery, OPML, the catalog, polling."""
