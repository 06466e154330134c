"""Errors raised for bad user input."""


class InputError(ValueError):
    """Bad input: the message names the file, the line or frame, and what was expected."""
