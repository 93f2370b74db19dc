scale = 1

total = sum(int(line) for line in open("data.txt")) * scale
with open("model.txt", "w") as f:
    f.write(f"{total}\n")
print(f"total: {total}")
