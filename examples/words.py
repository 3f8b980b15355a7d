"""A slow function for the main job (scripts/setup.sh): Optimize makes it measurably faster, or says why not."""


def unique_words(text: str) -> list[str]:
    """The words of `text` (split on whitespace) in first-seen order, each once; case-sensitive."""
    seen = []
    for word in text.split():
        if word not in seen:
            seen.append(word)
    return seen
