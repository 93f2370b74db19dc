# Flags are module globals, replaced by the run's flag values.
rate = 0.5
steps = 3


def losses(start):
    loss = start
    for _ in range(steps):
        loss = loss * (1 - rate)
        yield loss


for step, loss in enumerate(losses(1.0)):
    print(f"step: {step}")
    print(f"loss: {loss}")
