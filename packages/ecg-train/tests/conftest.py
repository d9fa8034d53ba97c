"""Test set-up of ecg-train: ``train_toy.py`` (the toy model, dataset and trainer, also a torchrun
script) is importable as ``train_toy`` by every test module (registered by the root conftest)."""
