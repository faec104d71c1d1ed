from versions.semver import compare, parse

__all__ = ["compare", "parse"]
