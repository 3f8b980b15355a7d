"""Model layer: one small Model interface, a registry with aliases, backends, prompts and the
Guide -> Solve -> Judge pipeline. Plain library: never imports pygls."""
