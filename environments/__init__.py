"""Episodes (DESIGN §6): agents, rubric tasks, tool executors, the user simulator, agent
policies and the episode runner. The public entry points are documented in README.md."""
