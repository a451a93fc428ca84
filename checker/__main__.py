"""python -m checker"""
from .cli import main

if __name__ == "__main__":  # not in a spawned worker process (checker.claims.workers)
    main()
