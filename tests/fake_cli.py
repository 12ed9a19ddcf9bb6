"""`python -m tests.fake_cli ARGS`: the real `assistant` command with the tests' fakes registered
(ASSISTANT_EMBED_MODEL=hashing), for CLI tests that run it in a subprocess."""

from __future__ import annotations

from assistant.cli import main
from tests.fakes import register_fake_embedders

if __name__ == "__main__":
    register_fake_embedders()
    raise SystemExit(main())
