# Like train.py, reported as an accuracy that is highest (1.0) at x = 1.

x = 0.0

acc = 1 / (1 + (x - 1) ** 2)
print(f"acc: {acc:.6f}")
