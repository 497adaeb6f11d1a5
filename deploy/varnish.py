#!/usr/bin/env python3
"""Render deploy/varnish.vcl, and run varnishd as a child process (tests, bench).

    python deploy/varnish.py --upstream 127.0.0.1:8000 > /etc/varnish/default.vcl
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from nginx import Listener  # deploy/ holds scripts, not a package

TEMPLATE = Path(__file__).with_name("varnish.vcl")


def render(upstream: str) -> str:
    """The VCL with the API's address filled in."""
    host, port = upstream.rsplit(":", 1)
    return TEMPLATE.read_text().replace("@UPSTREAM_HOST@", host).replace("@UPSTREAM_PORT@",
                                                                           port)


class Varnish(Listener):
    """varnishd in the foreground with its own working folder, no privilege separation
    (it runs as whoever runs this) and a small memory store."""

    def __init__(self, workdir: Path, port: int, upstream: str, memory: str = "64m") -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        vcl = workdir / "default.vcl"
        vcl.write_text(render(upstream))
        varnishd = shutil.which("varnishd") or "/usr/sbin/varnishd"
        super().__init__([varnishd, "-F", "-j", "none", "-n", str(workdir), "-f", str(vcl),
                          "-a", f"127.0.0.1:{port}", "-T", "none", "-s", f"malloc,{memory}",
                          "-p", "default_grace=0s"],
                         port, workdir / "varnish.log", "varnish", timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", default="127.0.0.1:8000")
    print(render(parser.parse_args().upstream), end="")


if __name__ == "__main__":
    main()
