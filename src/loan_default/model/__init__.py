"""The model layer: what a fitted model is made of and how it scores.

- ``calibration``: prior correction of class-weighted models;
- ``xgboost_adapter``: the booster behind an XGBoost model and the matrix it reads;
- ``explanations``: per-applicant feature contributions and reason codes;
- ``champion``: the one inference object (raw applications in; probability,
  decision, risk decile and reason codes out) and its saved artifact.

Imports schema and features only, never ``pipelines``.
"""
