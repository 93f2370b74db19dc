n = 3
note = "first"

with open("data.txt", "w") as f:
    for i in range(1, n + 1):
        f.write(f"{i}\n")
print(f"prep: {n} numbers ({note})")
