"""CI runs the benchmark script's smoke mode, so the benchmark cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import require_program

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_benchmark_smoke_prints_the_table() -> None:
    require_program("wrk", "wrk")
    done = subprocess.run([sys.executable, "bench/run.py", "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    ceiling = re.search(r"\| bare Flask route \(ceiling[^|]*\) \| ([\d,]+) \| 1\.00 \|", out)
    assert ceiling and int(ceiling.group(1).replace(",", "")) > 0
    for name in ("first page [cached]", "deep page (cursor) [cached]", "event [cached]",
                 "event, If-None-Match (304) [cached]", "first page [uncached]",
                 "first page, If-None-Match (304) [cached]", "TimelineJS of mission [uncached]"):
        row = re.search(rf"\| sqlite \| 100 \| {re.escape(name)} \| ([\d,]+) \| ([\d.]+) \|", out)
        assert row, f"no row for {name}:\n{out}"
        assert int(row.group(1).replace(",", "")) > 0
    assert "errors)" not in out
    for name in ("event", "first page"):
        assert re.search(rf"\| sqlite \| 100 \| {name}, If-None-Match \(304\) \[cached\] .*\| 0 \|",
                         out)
    assert "worker RSS" in out and "Machine: " in out
