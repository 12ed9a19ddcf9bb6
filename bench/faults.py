"""The fault tests as a bench section: each fault's outcome and how long its test took.

Runs `pytest tests/test_faults.py` (real Chroma server, real subprocesses, SIGKILL, a tmpfs that
fills up) and reports per fault: passed, failed (with the assertion) or skipped (with why).

    python -m bench.faults
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = "tests/test_faults.py"


def run(ctx: Any = None) -> dict[str, Any]:
    """The bench section: every fault test, run once."""
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as scratch:
        report = Path(scratch) / "junit.xml"
        done = subprocess.run(
            [sys.executable, "-m", "pytest", TESTS, "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        faults = [_case(case) for case in ET.parse(report).getroot().iter("testcase")]
    return {"command": f"pytest {TESTS}", "exit_code": done.returncode, "faults": faults}


def _case(case: ET.Element) -> dict[str, Any]:
    outcome, detail = "passed", ""
    for kind in ("failure", "error", "skipped"):
        found = case.find(kind)
        if found is not None:
            outcome = "skipped" if kind == "skipped" else "failed"
            detail = (found.get("message") or "").strip()[:300]
    return {"fault": case.get("name", ""), "outcome": outcome, "seconds": float(case.get("time", 0)), "detail": detail}


def markdown(result: dict[str, Any]) -> str:
    rows = [
        f"| {f['fault'].removeprefix('test_').replace('_', ' ')} | {f['outcome']} | {f['seconds']:.1f} |"
        + (f" {f['detail']} |" if f["detail"] else " |")
        for f in result["faults"]
    ]
    head = ["## Faults", "", f"`{result['command']}`", "", "| fault | outcome | seconds | note |", "|---|---|---|---|"]
    return "\n".join([*head, *rows])


def main(argv: Sequence[str] | None = None) -> int:
    result = run()
    print(json.dumps(result, indent=1))
    print(markdown(result))
    return 0 if result["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
