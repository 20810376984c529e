"""A realistic synthetic stand-in for the Kaggle "Loan Defaulter" tables.

The real files cannot be shipped, so this package draws both raw tables with the
exact schema of ``loan_default.schema`` and the marginals, missing-value patterns and
quirks of the real data (quantiles, long income tail, the ``DAYS_EMPLOYED`` sentinel
for pensioners, building statistics missing together, previous applications per
applicant, ...). ``TARGET`` is drawn from a known non-linear risk function of the
features a model can see (a missing external score counts as its median plus a
missing flag, never as its hidden value); its exact probability is returned
separately as ``TRUE_PD``, so the oracle AUC is an attainable ceiling for models.

Everything is vectorised numpy driven by one ``np.random.default_rng(seed)``: the
same seed gives identical frames.

Modules:

- ``calibration``: the real data's figures (category counts, missing rates,
  quantile knots, ...) and the calibrated constants of the risk model;
- ``columns``: text columns as integer codes, category draws, the final frame;
- ``applications``: the application table's columns, and drift applied to them;
- ``previous``: the previous-application table and the history counts;
- ``risk``: the true default probability and the draw of ``TARGET``;
- ``population``: ``generate_loan_data`` and the core shared with new batches;
- ``drift``: ``generate_new_applications`` and the checks of a drift;
- ``cli``: ``python -m loan_default.synthetic`` and ``write_csv_files``.

Command line::

    python -m loan_default.synthetic --n-applications 20000 --seed 42 \\
        --output-dir data/01_raw --new-applications 2000
"""

from loan_default.synthetic.calibration import FIRST_TRAINING_ID, ORPHAN_CLIENT_SHARE
from loan_default.synthetic.cli import main, write_csv_files
from loan_default.synthetic.drift import generate_new_applications
from loan_default.synthetic.population import SyntheticLoanData, generate_loan_data

__all__ = [
    "FIRST_TRAINING_ID",
    "ORPHAN_CLIENT_SHARE",
    "SyntheticLoanData",
    "generate_loan_data",
    "generate_new_applications",
    "main",
    "write_csv_files",
]
