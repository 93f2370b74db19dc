epochs = 2
lr = 0.1

for epoch in range(epochs):
    print(f"step: {epoch}")
    print(f"loss: {lr * (epochs - epoch)}")
    print(f"acc: {0.5 + epoch / 10}")
