"""The docs cannot drift: every read-only console example of README.md and docs/ runs
against a freshly seeded server and must print what the page shows (tests/docs_examples.py;
`.venv/bin/python -m tests.docs_examples --update` writes new outputs back after a change
to the data or the API)."""

from __future__ import annotations

import docs_examples as docs
import pytest
from support import require_program

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ran() -> tuple[list[docs.Example], list[docs.Block]]:
    require_program("jq", "jq")
    return docs.run()


def test_every_console_example_prints_what_the_docs_show(ran) -> None:
    examples, _ = ran
    assert len(examples) >= 30  # the README's tour and the guides' read-only examples
    assert any(e.file == "README.md" for e in examples)
    failures = docs.differences(examples)
    assert not failures, "\n\n".join(failures) + (
        "\n\nRegenerate with: .venv/bin/python -m tests.docs_examples --update")


def test_an_example_edited_to_differ_fails(ran) -> None:
    examples, _ = ran
    example = next(e for e in examples if e.file == "README.md" and '"title"' in e.expected)
    edited = docs.Example(example.file, example.line, example.command,
                          example.expected.replace('"title": "', '"title": "Not ', 1),
                          example.actual)
    assert docs.matches(example.expected, example.actual)
    assert docs.differences([edited])


def test_masks_and_elisions() -> None:
    assert docs.matches('ETag: "0123456789abcdef0123456789abcdef"\n…\nend',
                        'ETag: "fedcba9876543210fedcba9876543210"\nx\ny\nend')
    assert docs.matches("http://127.0.0.1:5000/v1?cursor=abc", "http://127.0.0.1:41234/v1?cursor=xyz")
    assert docs.matches('  "text": "Russian feature…"', '  "text": "Russian feature film"')
    assert not docs.matches("count: 11", "count: 10")
    assert not docs.matches("a\n…\nc", "a\nb\nd")
