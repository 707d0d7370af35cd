"""``python -m jobs ...`` is ``listkeeper ...`` (for child processes of the scheduler)."""

from jobs.cli import main

main()
