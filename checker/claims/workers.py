"""The claims stage's spaCy work on several cores: :func:`checker.claims.parse_pieces` over shards
of the paragraph pieces to parse, in worker processes, each loading spaCy once.

spaCy's parse runs on one core, and on a 2-core machine it was a third of ``checker add``'s time
with the other core idle (torch's threads only help the NLI and embedding stages). Each piece is
parsed and decomposed on its own (parses do not depend on batching), and :func:`checker.claims.extract`
assembles the documents from the pieces' parses in this process, so a pool gives exactly the
sentences and claims of one process, in document order.

Workers live as long as the :class:`ParsePool`; starting them costs a few seconds (importing
spaCy and loading the model), so the pool is used only for enough text (:data:`MIN_CHARS`).
"""

from __future__ import annotations

import os
import sys

from ..records import Claim, Document, Sentence

# below this many characters of text the work is done in the calling process (a pool's start-up
# of ~3 s would cost more than the parse: ~0.3 MB of news text is ~40 articles, ~8 s of parsing)
MIN_CHARS = 300_000
MIN_FACTS = 64  # claims to parse for their facts below which a call stays in this process


def default_processes() -> int:
    """Parse processes when neither ``Config.parse_processes`` nor ``$CHECKER_PARSE_PROCESSES``
    says: the cores, at most 4 (0 or 1: parse in the calling process)."""
    return max(1, min(4, os.cpu_count() or 1))


def processes(config) -> int:
    n = getattr(config, "parse_processes", None)
    if n is None:
        n = int(os.environ.get("CHECKER_PARSE_PROCESSES") or 0) or default_processes()
    return max(0, int(n))


def _serve() -> None:
    """A worker's loop (``python -m checker.claims._worker``): read pickled ("pieces", texts) or
    ("facts", {text: dates}) from stdin, write pickled ("ok", parses or facts) or ("error",
    traceback) to stdout (a piece's exception travels as its text: exceptions need not pickle)."""
    import pickle
    import traceback

    from . import load_nlp, parse_pieces

    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write to the result pipe
    load_nlp()
    while True:
        try:
            kind, payload = pickle.load(inp)
        except EOFError:
            return
        try:
            if kind == "facts":
                from ..compare import compute_facts

                reply = ("ok", compute_facts(load_nlp(), payload))
            else:
                reply = ("ok", [_portable(p) for p in parse_pieces(payload, load_nlp())])
        except Exception:
            reply = ("error", traceback.format_exc())
        pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def _portable(parse):
    """A piece's parse with its exceptions as text."""
    from dataclasses import replace

    if isinstance(parse, BaseException):
        return f"{type(parse).__name__}: {str(parse)[:300]}"
    return tuple(p if isinstance(p.claims, tuple) else replace(p, claims=_portable(p.claims)) for p in parse)


def shards(items: list, n: int, size=lambda d: len(d.text)) -> list[list]:
    """``items`` (documents; pieces with ``size=len``) cut into at most ``n`` contiguous shards of
    about equal text length, in order."""
    total = sum(size(d) for d in items) or 1
    out: list[list] = [[]]
    done = 0
    for d in items:
        if out[-1] and done >= total * len(out) / n and len(out) < n:
            out.append([])
        out[-1].append(d)
        done += size(d)
    return [s for s in out if s]


class ParsePool:
    """``n`` worker processes running :func:`checker.claims.extract` on shards of documents.

    Workers are plain subprocesses (``python -m checker.claims._worker``) talking pickle over
    their stdin/stdout: not ``multiprocessing``, whose ``spawn`` re-imports the caller's main
    script (a script without an ``if __name__ == "__main__"`` guard would run again) and whose
    ``fork`` would copy torch's thread pools."""

    def __init__(self, n: int):
        import subprocess

        self.n = n
        self.failed = False  # a worker died or failed: what it would do is done in the calling process
        self.procs = [subprocess.Popen([sys.executable, "-m", "checker.claims._worker"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, env=_worker_env()) for _ in range(n)]

    def extract(self, docs: list[Document], max_chars: int, failed: list | None = None,
                cache=None) -> tuple[list[Sentence], list[Claim]]:
        """What ``extract(docs, nlp, max_chars, failed, cache=cache)`` returns, the pieces parsed on the workers."""
        from . import extract, load_nlp

        return extract(docs, load_nlp(), max_chars, failed, parse=self.parse, cache=cache)

    def parse(self, texts: list[str]) -> list:
        """:func:`checker.claims.parse_pieces` of ``texts`` on the workers."""
        out: list = []
        for part in self._run("pieces", shards(texts, self.n, size=len)):
            out += part
        return out

    def facts(self, new: dict[str, set]) -> dict:
        """:func:`checker.compare.compute_facts` of ``new`` (claim text -> dates) on the workers
        (in this process below :data:`MIN_FACTS` texts: not worth the round trip)."""
        if len(new) < MIN_FACTS or self.failed:  # (a pool that failed once was said so: no second message)
            from . import load_nlp
            from ..compare import compute_facts

            return compute_facts(load_nlp(), new)
        out: dict = {}
        for part in self._run("facts", [{t: new[t] for t in s} for s in shards(list(new), self.n, size=len)]):
            out.update(part)
        return out

    def _run(self, kind: str, parts: list) -> list:
        """Each part to one worker, sent to all before any result is read; the results in order."""
        if self.failed:
            raise RuntimeError("a spaCy worker failed before")
        try:
            return self._exchange(kind, parts)
        except (RuntimeError, OSError):
            self.failed = True
            raise

    def _exchange(self, kind: str, parts: list) -> list:
        import pickle
        import threading

        results: list = [None] * len(parts)

        def send(k: int) -> None:  # a thread per worker: a large shard must not block the others
            try:
                pickle.dump((kind, parts[k]), self.procs[k].stdin, protocol=pickle.HIGHEST_PROTOCOL)
                self.procs[k].stdin.flush()
            except OSError:  # the worker is gone: reading its reply says so
                pass

        senders = [threading.Thread(target=send, args=(k,)) for k in range(len(parts))]
        for t in senders:
            t.start()
        for k in range(len(parts)):
            try:
                results[k] = pickle.load(self.procs[k].stdout)
            except EOFError:
                raise RuntimeError(f"spaCy worker {k} ended (exit code {self.procs[k].poll()}); see its stderr") from None
        for t in senders:
            t.join()
        for status, value in results:
            if status != "ok":
                raise RuntimeError(f"spaCy worker failed:\n{value}")
        return [value for _, value in results]

    def close(self) -> None:
        for p in self.procs:
            try:
                p.stdin.close()
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except Exception:
                p.kill()

    def __enter__(self) -> "ParsePool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _worker_env() -> dict:
    """The worker imports this checker, wherever the caller imported it from."""
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def maybe_pool(config, docs: list[Document]) -> ParsePool | None:
    """A pool when the configuration asks for more than one parse process and ``docs`` hold at
    least :data:`MIN_CHARS` characters; else None (parse in this process)."""
    n = processes(config)
    if n <= 1 or sum(len(d.text) for d in docs) < MIN_CHARS:
        return None
    return ParsePool(n)

