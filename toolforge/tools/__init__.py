"""The tool library (DESIGN §5): harvest, catalogs, validation, synthesis, dedup and the tool graph."""
