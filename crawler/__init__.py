"""listkeeper crawler."""
