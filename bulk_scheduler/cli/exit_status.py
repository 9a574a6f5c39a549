"""Exit statuses of the command line, in one place (design.md)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ROWS_FAILED = 1
    BAD_INPUT = 2
    FATAL_API = 3
    INTERRUPTED = 130
