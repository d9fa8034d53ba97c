"""The peer environment of the bench scripts: ``.venv-peer`` (torch_ecg and its pins).

``make bench`` creates it from ``bench/requirements-peer.txt`` and runs every script with it. A
script given a peer interpreter that does not exist stops with exit status 2 and that hint
instead of a traceback or a silent "n/a".
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["DEFAULT_PEER", "require_peer"]

DEFAULT_PEER = Path(__file__).resolve().parent.parent / ".venv-peer" / "bin" / "python"


def require_peer(peer_python: str | None, *, script: str) -> str | None:
    """``peer_python`` when it exists (``None`` stays ``None``: the script times ours only).

    Exits with status 2 and a message saying how to create the peer environment otherwise.
    """
    if peer_python is None or Path(peer_python).is_file():
        return peer_python
    print(
        f"error: {script}: the peer environment's python {peer_python} does not exist. "
        "`make bench` creates .venv-peer (torch_ecg, from bench/requirements-peer.txt) and "
        "runs every bench script with it; or pass --peer-python PATH to another interpreter "
        "that has torch_ecg.",
        file=sys.stderr,
    )
    raise SystemExit(2)
