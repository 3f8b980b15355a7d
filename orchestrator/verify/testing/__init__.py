"""Which tests judge a function: finding them (testsuite; imports_reach leaves out test files that cannot reach the
target) and what a failing test's call returned (failure_values), for a fix prompt."""
