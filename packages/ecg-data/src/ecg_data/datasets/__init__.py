"""torch Datasets of ecg_data (one module per database)."""
