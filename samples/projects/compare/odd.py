print("loss: nan")
print("acc: inf")
print("val/acc: -inf")
