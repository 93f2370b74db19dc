from tensorboardX import SummaryWriter

steps = 3

writer = SummaryWriter("logs/train")
for step in range(steps):
    writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.add_scalar("train/ok", step == steps - 1, step)
writer.close()
print("done")
