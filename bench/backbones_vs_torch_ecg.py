"""Parameter counts of ecg-models' RegNet and Transformer backbones against torch_ecg.

For 12 input leads, builds

* the RegNets ``regnet_16_8``, ``regnet_27_24``, ``regnet_23_168`` and ``regnet_S`` (Radosavovic et
  al., "Designing Network Design Spaces", CVPR 2020): ours from the backbone registry, torch_ecg's
  as ``RegNet(12, **cfg)`` with ``cfg`` from ``torch_ecg.model_configs.cnn.regnet``;
* the Transformer encoder: our ``transformer_encoder`` backbone's encoder layers against
  torch_ecg's ``Transformer(256, **ECG_CRNN_CONFIG.attn.transformer)`` (torch_ecg runs it on CNN
  features; our backbone adds a patch embedding, counted separately);

and prints both counts with their relative difference. torch_ecg runs in a subprocess of
``--peer-python`` and reports JSON. The counts are pinned in
packages/ecg-models/tests/test_models_parity.py. It installs nothing.

Usage:
    .venv/bin/python bench/backbones_vs_torch_ecg.py --peer-python .venv-peer/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from _peer import require_peer

REGNETS = ("regnet_16_8", "regnet_27_24", "regnet_23_168", "regnet_S")

_PEER_CODE = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
from torch_ecg.models.cnn.regnet import RegNet
from torch_ecg.model_configs.cnn import regnet as cfgs
from torch_ecg.models.transformers import Transformer
from torch_ecg.model_configs import ECG_CRNN_CONFIG

def count(m):
    return sum(p.numel() for p in m.parameters() if p.requires_grad)

out = {name: count(RegNet(12, **getattr(cfgs, name))) for name in json.loads(sys.argv[1])}
out["transformer_encoder"] = count(Transformer(256, **ECG_CRNN_CONFIG.attn.transformer))
print(json.dumps(out))
"""


def _count(module: Any) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def ours() -> dict[str, int]:
    """Our counts by name (the Transformer: its encoder layers)."""
    from ecg_models.registry import create_backbone

    out = {name: _count(create_backbone(name, 12)) for name in REGNETS}
    net = create_backbone("transformer_encoder", 12)
    out["transformer_encoder"] = _count(net.encoder)
    out["transformer_encoder (patch embedding, ours only)"] = _count(net.embed)
    return out


def peer(python: str) -> dict[str, int]:
    """torch_ecg's counts, from a subprocess of ``python``."""
    proc = subprocess.run(
        [python, "-c", _PEER_CODE, json.dumps(list(REGNETS))],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if proc.returncode != 0:
        raise SystemExit(f"torch_ecg subprocess failed (exit {proc.returncode}):\n{proc.stderr}")
    result: dict[str, int] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit status 0."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--peer-python", default=None, help="python with torch_ecg (omit: ours only)")
    args = p.parse_args(argv)
    python = require_peer(args.peer_python, script="backbones_vs_torch_ecg.py")
    mine = ours()
    theirs = peer(python) if python else {}
    print(f"{'backbone':<52} {'ecg-models':>12} {'torch_ecg':>12} {'difference':>10}")
    for name, n in mine.items():
        t = theirs.get(name)
        diff = f"{100 * (n - t) / t:+.3f}%" if t else "n/a"
        their = f"{t:,}" if t is not None else "n/a"
        print(f"{name:<52} {n:>12,} {their:>12} {diff:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
