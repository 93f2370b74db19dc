import argparse

p = argparse.ArgumentParser()
p.add_argument("--loaves", type=int)
p.add_argument("--temp", type=float)
p.add_argument("--crusty")
p.add_argument("--note")
p.add_argument("--oven")
args = p.parse_args()

print(f"baking {args.loaves} loaves at {args.temp} in a {args.oven} oven")
print(f"crusty={args.crusty} note={args.note}")
