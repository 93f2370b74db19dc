import os

for top in ("cfg.txt", "sub", "picked", "ren"):
    if not os.path.lexists(top):
        continue
    kind = "link" if os.path.islink(top) else "dir" if os.path.isdir(top) else "file"
    print(f"{top} ({kind})")
    if os.path.isdir(top):
        for name in sorted(os.listdir(top)):
            print(f"  {name}")
