# A script run directly: guildlike run count.py n=5
n = 2
word = "tick"

for i in range(n):
    print(f"{word} {i + 1}")
