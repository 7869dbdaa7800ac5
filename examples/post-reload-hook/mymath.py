# mymath.py: a few small functions to change while launch.py runs.
#
# launch.py prints a table of what each public function below returns for
# n = 1 to 8. Edit one, or add one, and save: the table is printed again,
# and the rows whose numbers changed are marked.


def square(n):
    return n * n


def triangle(n):
    """1 + 2 + ... + n."""
    return n * (n + 1) // 2


def collatz_steps(n):
    """How many steps of the Collatz rule bring n down to 1."""
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
