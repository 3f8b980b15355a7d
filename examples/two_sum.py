"""Example for RefactorCoder: put the cursor inside `two_sum` and run "RefactorCoder: Guide"."""


# Given a list of integers `nums` and an integer `target`, return the indices of the two
# numbers that add up to `target`. Each input has exactly one solution; do not use the
# same element twice.
def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(len(nums)):
            if i != j and nums[i] + nums[j] == target:
                return [i, j]
    return []


def is_palindrome(text: str) -> bool:
    """Return True when `text` reads the same forwards and backwards, ignoring case and spaces."""
    cleaned = text.replace(" ", "").lower()
    return cleaned == cleaned[::-1]


# Write a function `fizzbuzz(n)` that returns the list of strings for 1..n where multiples
# of 3 are "Fizz", multiples of 5 are "Buzz" and multiples of both are "FizzBuzz".
