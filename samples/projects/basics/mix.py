import argparse

parser = argparse.ArgumentParser(description="Mix some dough")
parser.add_argument("--speed", type=int, default=3, help="Mixer speed")
parser.add_argument("--flour", default="wheat", choices=["wheat", "rye"])
parser.add_argument("--water", type=float, default=0.65)
args = parser.parse_args()

print(f"mixing {args.flour} at speed {args.speed} with water {args.water}")
