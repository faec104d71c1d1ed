"""URL slugs."""


def slugify(title: str) -> str:
    """Lowercase `title` and replace every character that is not a letter or digit with '-'."""
    out = []
    for ch in title.lower():
        out.append(ch if ch.isalnum() else "-")
    return "".join(out)
