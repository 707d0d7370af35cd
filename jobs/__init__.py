"""listkeeper jobs."""
