from textkit import slugify


def test_simple_words():
    assert slugify("hello") == "hello"


def test_digits_kept():
    assert slugify("route66") == "route66"


def test_collapses_separators():
    assert slugify("Hello,  World!") == "hello-world"


def test_strips_accents():
    assert slugify("Crème Brûlée") == "creme-brulee"


def test_no_leading_or_trailing_dash():
    assert slugify("  --Python 3.12--  ") == "python-3-12"
