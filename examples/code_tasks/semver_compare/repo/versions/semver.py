"""Semantic version parsing and ordering (MAJOR.MINOR.PATCH[-PRERELEASE])."""


def parse(text: str):
    core, _, pre = text.partition("-")
    parts = core.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not MAJOR.MINOR.PATCH")
    return parts, pre


def compare(a: str, b: str) -> int:
    pa, _ = parse(a)
    pb, _ = parse(b)
    return (pa > pb) - (pa < pb)
