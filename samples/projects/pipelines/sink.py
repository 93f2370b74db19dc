import argparse

p = argparse.ArgumentParser()
p.add_argument("--k", type=int, default=1)
args = p.parse_args()
print(f"sink {args.k}")
