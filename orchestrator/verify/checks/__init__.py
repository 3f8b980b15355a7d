"""The checks of a candidate's behaviour against the original's: the Python differential tests and state guard
(behaviour, on the inputs of differential and shapes) and the differential tests of the other languages (progdiff)."""
