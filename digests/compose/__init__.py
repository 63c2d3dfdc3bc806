"""Composing digests: for one subscriber, the matching new stories, ranked and grouped."""
