"""Running the real `assistant` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ASSISTANT = [sys.executable, "-m", "assistant.cli"]
ASSISTANT_WITH_FAKES = [sys.executable, "-m", "tests.fake_cli"]  # the same command, test fakes selectable
# Running as root, file permissions do not apply; dropping these capabilities makes
# an unreadable file really unreadable for the indexer (no mocking of open()).
DROP_ROOT_READ = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "CHROMA_"))}
    env.update({"ASSISTANT_HOME": str(home), "ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1"})
    env.update(extra)
    return env


def run_cli(
    args: list[str],
    env: dict[str, str],
    *,
    drop_root: bool = False,
    timeout: float = 600,
    cwd: Path | None = None,
    fakes: bool = False,
) -> subprocess.CompletedProcess[str]:
    prefix = DROP_ROOT_READ if drop_root and os.geteuid() == 0 else []
    command = ASSISTANT_WITH_FAKES if fakes else ASSISTANT
    if fakes:  # `-m tests.fake_cli` needs the repository on the path, wherever the command runs
        env = {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)}
    return subprocess.run(
        [*prefix, *command, *args], env=env, cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout
    )


def run_json(args: list[str], env: dict[str, str], **kwargs: Any) -> tuple[int, dict[str, Any]]:
    result = run_cli([*args, "--json"], env, **kwargs)
    assert result.stdout.strip(), f"no JSON output; stderr:\n{result.stderr}"
    return result.returncode, json.loads(result.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
