"""Operations: running, restarting, pipelines (steps) and batches."""
