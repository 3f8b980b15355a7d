"""Calling a method of a class (`FILE::Class.method`): its kind and the workload expressions that call it (methods),
and the receivers the tests call it on (receivers; recipes reads one test file)."""
