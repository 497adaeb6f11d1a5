"""The console examples of README.md and docs/*.md, run against a freshly seeded server.

Each ```console block holds commands (``$ ...``) and what they print. A block whose
commands are all read-only ``curl`` calls (no ``-X``, ``-d`` or tokens; pipes into jq,
grep, cut, head, tail and python3 are fine) is run in bash against a server started the way
``make run`` starts one (``flask seed --articles``, then ``flask run``), with
``http://127.0.0.1:PORT`` and ``$API`` pointing at it. Other blocks (writes, the command
line, staged outages) are listed as not checked; a ``<!-- not checked: why -->`` line
just before a block leaves it out too.

Volatile values are masked on both sides before comparing: ETags and other 32-hex ids,
cursors, timestamps, the host's port, the Date header. A line that is only ``…`` (or
``...``) stands for any number of lines, and ``…`` within a line for any text. An ETag an
example printed replaces the documented one in the file's later commands
(``If-None-Match``).

    .venv/bin/python -m tests.docs_examples            # check; a diff per difference
    .venv/bin/python -m tests.docs_examples --update   # write the actual outputs back

``--update`` writes what the server printed where it differs (its own ETags, ports as
documented), keeping the documented lines that still match and every elision line in
place of the lines it stood for.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")))
ARTICLES = ROOT.parent / "shared" / "seeds"
sys.path.insert(0, str(ROOT / "deploy"))  # deploy/ holds scripts, not a package
from nginx import free_port  # noqa: E402

BLOCK = re.compile(r"(?P<before>[^\n]*)\n```console\n(?P<body>.*?)\n```", re.S)
HOST = re.compile(r"http://(?:127\.0\.0\.1|localhost):\d+")
ETAG = re.compile(r'"([0-9a-f]{32})"')
# Masked on both sides: (pattern, replacement).
MASKS = (
    (HOST, "http://HOST"),
    (re.compile(r"(cursor=|\"(?:next|prev)_cursor\": \")[A-Za-z0-9_-]+"), r"\1CURSOR"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "HEX32"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "TIME"),
    (re.compile(r"\b\d{8}T\d{6}Z\b"), "TIME"),  # iCalendar's DTSTAMP
    (re.compile(r"(?im)^(date|expires|last-modified|server|x-ratelimit-[a-z]+): .*$"), r"\1: X"),
    (re.compile(r"X-RateLimit-Reset=\d+|\b17\d{8}\b"), "EPOCH"),
)
READ_ONLY = re.compile(r"^curl\b(?!.*(?:\s-X\s|\s-d\s|\$TOKEN|\$READER))")
ELIDED = "…"
ELIDED_LINES = (ELIDED, "...")  # a line of only these stands for any lines


@dataclass
class Example:
    """One command of a console block and the output the docs show for it."""

    file: str
    line: int
    command: str
    expected: str
    actual: str | None = None


@dataclass
class Block:
    file: str
    line: int
    body: str
    checked: bool
    examples: list[Example] = field(default_factory=list)


def blocks(file: str) -> list[Block]:
    """The console blocks of ``file``, each split into its commands and outputs."""
    text = (ROOT / file).read_text(encoding="utf-8")
    out = []
    for found in BLOCK.finditer("\n" + text):
        line = text[:max(found.start("body") - 1, 0)].count("\n") + 1
        body = found["body"]
        skip = found["before"].strip().startswith("<!-- not checked")
        block = Block(file, line, body, checked=False)
        command: list[str] | None = None
        output: list[str] = []
        start = line
        for number, raw in enumerate(body.split("\n"), line):
            if raw.startswith("$ ") and not (command and command[-1].endswith("\\")):
                if command is not None:
                    block.examples.append(Example(file, start, "\n".join(command),
                                                  "\n".join(output)))
                command, output, start = [raw[2:]], [], number
            elif command is not None and command[-1].endswith("\\") and not output:
                command.append(raw)
            elif command is not None:
                output.append(raw)
        if command is not None:
            block.examples.append(Example(file, start, "\n".join(command), "\n".join(output)))
        block.checked = bool(block.examples) and not skip and all(
            READ_ONLY.match(e.command) for e in block.examples)
        out.append(block)
    return out


def normal(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))


def matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` is what ``expected`` shows, masks and elisions considered."""
    parts = []
    for line in normal(expected).split("\n"):
        if line.strip() in ELIDED_LINES:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(map(re.escape, line.split(ELIDED))) + r"\n")
    return re.fullmatch("".join(parts), normal(actual) + "\n", re.S) is not None


@contextmanager
def seeded_server() -> Iterator[str]:
    """A server on a new SQLite database seeded as ``make run`` seeds it; its base URL."""
    flask = str(Path(sys.executable).with_name("flask"))
    with tempfile.TemporaryDirectory(prefix="docs-examples-") as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/docs.sqlite",
               "RATELIMIT_ENABLED": "false"}
        env.pop("TEST_POSTGRES_URL", None)
        seed = [flask, "--app", "api", "seed", *(["--articles", str(ARTICLES)]
                                                 if ARTICLES.is_dir() else [])]
        subprocess.run(seed, cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([flask, "--app", "api", "run", "--host", "127.0.0.1",
                                   "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60  # a busy machine starts it slowly
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)


def run(files: tuple[str, ...] = FILES) -> tuple[list[Example], list[Block]]:
    """Every checked example of ``files`` with its actual output, and the blocks not run."""
    examples, skipped = [], []
    with seeded_server() as base:
        for file in files:
            etags: dict[str, str] = {}  # documented ETag -> the server's
            for block in blocks(file):
                if not block.checked:
                    skipped.append(block)
                    continue
                for example in block.examples:
                    command = HOST.sub(base, example.command)
                    for old, new in etags.items():
                        command = command.replace(old, new)
                    done = subprocess.run(["bash", "-c", command], capture_output=True,
                                          text=True, timeout=60, cwd=ROOT,
                                          env={**os.environ, "API": base})
                    example.actual = done.stdout + done.stderr
                    shown, got = ETAG.findall(example.expected), ETAG.findall(example.actual)
                    if len(shown) == len(got):
                        etags.update(zip(shown, got, strict=True))
                    examples.append(example)
    return examples, skipped


def differences(examples: list[Example]) -> list[str]:
    """A unified diff for each example whose output differs."""
    out = []
    for e in examples:
        if e.actual is not None and not matches(e.expected, e.actual):
            diff = difflib.unified_diff(normal(e.expected).split("\n"),
                                        normal(e.actual).split("\n"), "documented", "actual",
                                        lineterm="")
            out.append(f"{e.file}:{e.line}: $ {e.command}\n" + "\n".join(diff))
    return out


def merged(expected: str, actual: str) -> str:
    """``actual`` written as ``expected`` shows it: documented lines that still match (as
    masked) stay as written, an elision line stays in place of the lines it stood for,
    and the rest is what the server printed."""
    old, new = expected.split("\n"), actual.rstrip("\n").split("\n")
    keys = [normal(line) for line in old], [normal(line) for line in new]
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, *keys, autojunk=False).get_opcodes():
        if op == "equal":
            out += old[i1:i2]
        elif any(line.strip() in ELIDED_LINES for line in old[i1:i2]):
            out += [line for line in old[i1:i2] if line.strip() in ELIDED_LINES]
        elif i2 - i1 == j2 - j1:  # line for line: an elided line that still matches stays
            out += [o if matches(o, n) else n for o, n in zip(old[i1:i2], new[j1:j2],
                                                               strict=True)]
        else:
            out += new[j1:j2]
    return "\n".join(out)


def update(examples: list[Example]) -> list[str]:
    """Write the actual output of each differing example into its file; the files changed."""
    changed = set()
    for e in examples:
        if e.actual is None or matches(e.expected, e.actual):
            continue
        documented = HOST.search(e.command) or HOST.search(e.expected)
        actual = HOST.sub(documented[0], e.actual) if documented else e.actual
        path = ROOT / e.file
        text = path.read_text(encoding="utf-8")
        old = f"$ {e.command}\n{e.expected}".rstrip("\n")
        new = f"$ {e.command}\n{merged(e.expected, actual)}".rstrip("\n")
        if old in text:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            changed.add(e.file)
    return sorted(changed)


def main(argv: list[str]) -> int:
    if not shutil.which("jq"):
        print("jq is needed (Debian: apt-get install jq)", file=sys.stderr)
        return 2
    examples, skipped = run()
    if "--update" in argv:
        print("updated:", ", ".join(update(examples)) or "nothing")
        return 0
    failures = differences(examples)
    print("\n\n".join(failures))
    print(f"{len(examples) - len(failures)} of {len(examples)} examples match; "
          f"{len(skipped)} blocks not checked (writes, the command line, outages).")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
