"""The orchestrator: Guide -> Solve -> Judge pipeline, stage plans, and the generate -> fix -> refine loop.

Sits above models/ (LLM calls), sandbox/ (running candidates) and profiling/ (measuring and deciding);
never imports server/ or pygls. models/ and sandbox/ never import each other: this package joins them.
"""
