"""Merging closed integer intervals."""


def merge(intervals):
    """Merge overlapping intervals [(start, end), ...]; the result is sorted."""
    out = []
    for start, end in intervals:
        if start > end:
            raise ValueError(f"bad interval ({start}, {end})")
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
