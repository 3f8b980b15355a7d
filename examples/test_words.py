from words import unique_words


def test_first_seen_order():
    assert unique_words("b a b c a") == ["b", "a", "c"]


def test_empty_and_blank():
    assert unique_words("") == []
    assert unique_words("  \n\t ") == []


def test_case_sensitive():
    assert unique_words("Word word WORD word") == ["Word", "word", "WORD"]
