print("loss: nan")
print("acc: inf")
print("val/acc: -inf")
print("val/loss: 1e-3 (step 7)")
