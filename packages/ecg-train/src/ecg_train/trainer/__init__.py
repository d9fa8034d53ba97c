"""BaseTrainer and its configuration, checkpoints, optimisers and distributed helpers."""
