"""Micro-benchmarks of the language server, the model layer and the sandbox, run from the repository root as
``python -m benchmarks.NAME`` (``--help`` for each one's options). Every run writes
``benchmarks/results/NAME/<UTC timestamp>.json`` (benchmarks.common). The papers' tables are `refactorcoder eval`.
"""
