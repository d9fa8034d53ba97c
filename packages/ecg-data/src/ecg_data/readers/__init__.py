"""Database readers of ecg_data (one module per database); see :mod:`ecg_data.readers.base`."""
