import math
import random

noise = 0.1
x = 0

loss = math.sin(5 * x) * (1 - math.tanh(x**2)) + random.gauss(0, 1) * noise
print(f"loss: {loss}")
