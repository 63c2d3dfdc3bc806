"""Errors that are the user's to fix: printed as one line naming the input, never a traceback."""


class UserError(Exception):
    """Bad input (a feed URL, a file, an argument): the message says what and why."""
