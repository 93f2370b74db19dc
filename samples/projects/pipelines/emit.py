word = "hi"

with open("word.txt", "w") as f:
    f.write(word + "\n")
print(f"emit {word}")
