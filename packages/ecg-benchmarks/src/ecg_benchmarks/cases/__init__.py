"""The benchmark case studies, one module each (imported on first use by the registry)."""
