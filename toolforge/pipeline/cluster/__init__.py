"""Generation over a Ray cluster (`toolforge generate --ray`): one runtime per node, work units
pulled by the nodes, one PostgreSQL store. Ray itself is imported only by `connect`."""
