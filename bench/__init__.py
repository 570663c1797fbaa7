"""Convene's benchmarks (`make bench`, `python -m bench.run`) and fault drills (`make drills`,
`python -m bench.drills`): real gunicorn, workers, Kafka broker and databases on this machine.
How each figure is measured is in bench/README.md."""
