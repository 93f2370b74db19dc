import sys

minimum = 100

total = int(open("model.txt").read())
if total < minimum:
    sys.exit(f"total {total} is below {minimum}")
print("ok")
