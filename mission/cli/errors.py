"""Errors a command reports to the user as one line (exit status 2)."""


class CliError(Exception):
    """Bad input or an unusable file: the message is shown to the user as is."""
