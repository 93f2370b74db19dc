"""Small utilities with no knowledge of runs or operations."""
