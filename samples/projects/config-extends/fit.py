import argparse

p = argparse.ArgumentParser()
for name in ("lr", "batch", "epochs", "split"):
    p.add_argument(f"--{name}")
args = p.parse_args()
print(" ".join(f"{k}={v}" for k, v in sorted(vars(args).items()) if v is not None))
