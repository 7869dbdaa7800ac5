# The quick-start module. Run it under hotload (see the README), then edit
# and save: change x to 4 and the sum printed below becomes 32, at once.
x = 3
y = 4

print(x * x + y * y)
