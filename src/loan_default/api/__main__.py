"""``python -m loan_default.api serve``: the same as ``loan-default-api serve``."""

import sys

from loan_default.api.cli import main

if __name__ == "__main__":
    sys.exit(main())
