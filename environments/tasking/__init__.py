"""The task-generation half of environments (DESIGN §6): agents (a connected toolset and its
system prompt) and rubric tasks with programmatic blueprints, built and replayed on the episode
half's executors. Imports `environments.episodes`; never the other way round."""
