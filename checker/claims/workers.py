"""The claims stage's spaCy work on several cores: :func:`checker.claims.extract` over shards of
the documents in worker processes, each loading spaCy once.

spaCy's parse runs on one core, and on a 2-core machine it was a third of ``checker add``'s time
with the other core idle (torch's threads only help the NLI and embedding stages). Each document is
parsed and decomposed on its own (sentence and claim ids are per document; parses do not depend on
batching), so shards give exactly the sentences and claims of one process, in document order.

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
    """A worker's loop (``python -m checker.claims._worker``): read pickled (documents, max_chars)
    from stdin, write pickled ("ok", (sentences, claims)) or ("error", traceback) to stdout."""
    import pickle
    import traceback

    from . import extract, load_nlp

    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write to the result pipe
    load_nlp()
    while True:
        try:
            docs, max_chars = pickle.load(inp)
        except EOFError:
            return
        try:
            failed: list = []
            reply = ("ok", (*extract(docs, load_nlp(), max_chars, failed), failed))
        except Exception:
            reply = ("error", traceback.format_exc())
        pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def shards(docs: list[Document], n: int) -> list[list[Document]]:
    """``docs`` cut into at most ``n`` contiguous shards of about equal text length, in order."""
    total = sum(len(d.text) for d in docs) or 1
    out: list[list[Document]] = [[]]
    done = 0
    for d in docs:
        if out[-1] and done >= total * len(out) / n and len(out) < n:
            out.append([])
        out[-1].append(d)
        done += len(d.text)
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
        self.procs = [subprocess.Popen([sys.executable, "-m", "checker.claims._worker"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, env=_worker_env()) for _ in range(n)]

    def extract(self, docs: list[Document], max_chars: int, failed: list | None = None) -> tuple[list[Sentence], list[Claim]]:
        """What ``extract(docs, nlp, max_chars, failed)`` returns, computed on the workers: one shard
        of about equal text per worker, sent to all before any result is read."""
        import pickle
        import threading

        parts = shards(docs, self.n)
        results: list = [None] * len(parts)

        def send(k: int) -> None:  # a thread per worker: a large shard must not block the others
            try:
                pickle.dump((parts[k], max_chars), self.procs[k].stdin, protocol=pickle.HIGHEST_PROTOCOL)
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
        sentences: list[Sentence] = []
        claims: list[Claim] = []
        for status, value in results:
            if status != "ok":
                raise RuntimeError(f"spaCy worker failed:\n{value}")
            sentences += value[0]
            claims += value[1]
            if value[2] and failed is None:
                raise RuntimeError(f"spaCy worker failed on {value[2][0][0]}: {value[2][0][1]}")
            if failed is not None:
                failed += value[2]
        return sentences, claims

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

