"""Entry point of a spaCy parse worker (see :class:`checker.claims.workers.ParsePool`)."""

from checker.claims.workers import _serve

if __name__ == "__main__":
    _serve()
