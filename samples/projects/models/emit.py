import argparse

p = argparse.ArgumentParser()
p.add_argument("--greeting", default="hello")
p.add_argument("--times", type=int, default=1)
p.add_argument("--k", type=int, default=0)
args = p.parse_args()

for _ in range(args.times):
    print(args.greeting)
