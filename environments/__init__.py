"""Environments (DESIGN §6) in two halves: `tasking` makes agents and rubric tasks, `episodes`
plays them (the runner, policies, user simulators, tool executors). `tasking` imports `episodes`,
never the reverse. The public entry points are documented in README.md."""
