print("tool ran")
