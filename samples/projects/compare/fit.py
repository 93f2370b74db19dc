epochs = 2
lr = 0.1
opt = "sgd"

with open("model.txt", "w") as f:
    f.write(f"{opt} {lr}\n")
for step in range(epochs):
    loss = round(lr * (epochs - step), 6)
    print(f"step: {step}")
    print(f"loss: {loss}")
    print(f"acc: {round(1 - loss, 6)}")
