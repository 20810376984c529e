"""Statistics a model-risk review asks for: intervals, paired tests, calibration
tests and fairness measures, plus the model document. No I/O, no pipelines."""
