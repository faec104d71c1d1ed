"""toolforge.core: types, ids, store, LLM client. Imports nothing else of ours."""
