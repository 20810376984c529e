"""``python -m loan_default.synthetic``: the command line of ``cli``."""

from loan_default.synthetic.cli import main

if __name__ == "__main__":
    main()
