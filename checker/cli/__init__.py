"""Command-line interface: ``checker report``, ``checker contradictions``, ``checker add``, ``checker calibrate``, ``checker verify``.

Each command is a thin Typer wrapper over a function importable from the library.
Exit codes: 0 all inputs processed; 1 some input failed (named on stderr, the rest
were processed); 2 no usable input or bad usage.
"""

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Offline claim-level fact-consistency checker for news articles.")

from . import add as _add  # noqa: E402,F401
from . import calibrate as _calibrate  # noqa: E402,F401
from . import contradictions as _contradictions  # noqa: E402,F401
from . import report as _report  # noqa: E402,F401
from . import verify as _verify  # noqa: E402,F401


def main() -> None:  # console entry point
    app()
