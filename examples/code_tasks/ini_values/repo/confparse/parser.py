"""A minimal INI reader: {section: {key: value}}."""


def parse(text: str) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    section = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            result.setdefault(section, {})
            continue
        if section is None or "=" not in line:
            raise ValueError(f"line {number}: expected [section] or key = value")
        key, value = line.split("=")[:2]
        result[section][key.strip()] = value.strip()
    return result
