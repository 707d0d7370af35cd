"""listkeeper pipelines."""
