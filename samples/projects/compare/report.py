print("model:", open("model.txt").read().strip())
