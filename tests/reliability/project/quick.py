msg = "hello"

print(f"quick: {msg}", flush=True)
