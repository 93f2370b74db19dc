kb = 64

line = "x" * 1023
for i in range(kb):
    print(line, flush=True)
print("spew: done", flush=True)
