rate = 0.5

with open("data.txt", "w") as f:
    f.write(f"rate {rate}\n")
with open("extra.txt", "w") as f:
    f.write("extra\n")
print(f"prepared at rate {rate}")
