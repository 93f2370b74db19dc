import random

size = 50
seed = 1

rng = random.Random(seed)
with open("data.csv", "w") as f:
    for _ in range(size):
        x = rng.uniform(-1, 1)
        f.write(f"{x},{2 * x + 0.5 + rng.gauss(0, 0.05)}\n")
print(f"wrote {size} rows")
