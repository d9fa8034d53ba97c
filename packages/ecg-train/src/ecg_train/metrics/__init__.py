"""Metrics: classification, CinC challenge, R-peak, wave delineation, CPSC2020/2021 scores."""
