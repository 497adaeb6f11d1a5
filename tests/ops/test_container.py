"""The container definition passes hadolint; the entrypoint is valid shell."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    result = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_essentials() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert 'pip install "./[postgres]"' in text  # dependencies from setup.cfg
    assert "\nUSER 10001\n" in text and "HEALTHCHECK" in text and "/healthz" in text
    assert 'ENTRYPOINT ["./boot.sh"]' in text


def test_the_image_carries_the_embed_pages_timelinejs() -> None:
    text = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    package = "@knight-lab/timelinejs@3.9.11"
    assert package in text and package in makefile  # the version the tests run with
    assert "COPY --from=timelinejs /build/node_modules/@knight-lab/timelinejs/dist ./timelinejs" \
        in text
    assert "TIMELINEJS_DIR=/app/timelinejs" in text  # where api/config.py looks for it


def test_entrypoint_migrates_then_execs_gunicorn() -> None:
    subprocess.run(["sh", "-n", str(ROOT / "boot.sh")], check=True)
    lines = [line.strip() for line in (ROOT / "boot.sh").read_text().splitlines()]
    upgrade = lines.index("flask --app api prepare")  # migrates under the boot lock
    execs = [i for i, line in enumerate(lines) if line.startswith("exec gunicorn")]
    assert execs and execs[0] > upgrade
