print(open("word.txt").read().strip().upper() + "!")
