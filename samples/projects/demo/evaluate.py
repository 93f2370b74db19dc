import sys

target = 0.9

w, b = map(float, open("model.txt").read().split())
rows = [tuple(map(float, line.split(","))) for line in open("data.csv")]
mean = sum(y for _, y in rows) / len(rows)
ss_res = sum((w * x + b - y) ** 2 for x, y in rows)
ss_tot = sum((y - mean) ** 2 for _, y in rows)
r2 = 1 - ss_res / ss_tot
print(f"r2: {r2:.4f}")
if r2 < target:
    sys.exit(f"model r2 {r2:.4f} is below the target {target}")
