grams = 250.0
scale = "kitchen"
tare = 0

print(f"{grams - tare} g on the {scale} scale")
