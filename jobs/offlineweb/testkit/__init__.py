"""What the tests and the benches share: ready-made webs (`builders`: hostile, sample,
scale), recorded real responses (`recorded`), the web as a process (`__main__`), a load
generator (`loadgen`) and throwaway PostgreSQL and Redis servers (`throwaway`). Not in the
wheel (pyproject excludes it): the tests and benches import it from the repository."""
