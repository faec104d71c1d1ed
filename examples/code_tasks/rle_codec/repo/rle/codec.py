"""Run-length encoding: "aaab" <-> "3a1b" (input must not contain digits)."""


def encode(text: str) -> str:
    if any(ch.isdigit() for ch in text):
        raise ValueError("digits cannot be run-length encoded in this format")
    out = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] == text[i]:
            j += 1
        out.append(f"{j - i}{text[i]}")
        i = j
    return "".join(out)


def decode(code: str) -> str:
    out = []
    for i in range(0, len(code), 2):
        count, ch = code[i], code[i + 1]
        out.append(ch * int(count))
    return "".join(out)
