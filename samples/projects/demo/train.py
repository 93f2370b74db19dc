lr = 0.05
epochs = 200

rows = [tuple(map(float, line.split(","))) for line in open("data.csv")]
w, b = 0.0, 0.0
for epoch in range(epochs):
    gw = sum((w * x + b - y) * x for x, y in rows) / len(rows)
    gb = sum((w * x + b - y) for x, y in rows) / len(rows)
    w, b = w - lr * 2 * gw, b - lr * 2 * gb
loss = sum((w * x + b - y) ** 2 for x, y in rows) / len(rows)
with open("model.txt", "w") as f:
    f.write(f"{w} {b}\n")
print(f"loss: {loss:.6f}")
