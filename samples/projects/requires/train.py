import os

rate = 0.5

for name in ("data.txt", "extra.txt"):
    if os.path.exists(name):
        with open(name) as f:
            print(f"{name}: {f.read().strip()}")
    else:
        print(f"{name}: (none)")
