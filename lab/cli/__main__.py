"""``python -m lab.cli``: the ``dbtl`` command."""

from lab.cli.main import main

if __name__ == "__main__":
    main()
