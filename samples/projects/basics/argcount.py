import argparse

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=2)
p.add_argument("--word", default="tock")
args = p.parse_args()

for i in range(args.n):
    print(f"{args.word} {i + 1}")
