"""Domain errors: each carries one sentence, in Chinese, saying what is wrong and what to do."""


class FengqiaoError(Exception):
    """Base of every error a person is meant to read."""


class NotFound(FengqiaoError):
    """A unit, record or file that was asked for does not exist."""


class InvalidInput(FengqiaoError):
    """Input that cannot be accepted as it is."""


class Forbidden(FengqiaoError):
    """The user's role or area does not allow this."""


class DatabaseError(FengqiaoError):
    """The database cannot be reached, started or used."""
