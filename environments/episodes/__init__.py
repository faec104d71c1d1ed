"""The episode-playing half of environments (DESIGN §6): the one episode loop, the tool-call
boundary, policies, user simulators, executors and worlds, and the processes that play many
episodes. Imports nothing from `environments.tasking`."""
