"""``python -m approvals.cli``: the same as the ``approvals`` console script."""

from approvals.cli import main

if __name__ == "__main__":
    main()
