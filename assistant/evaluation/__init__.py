"""Evaluation: question sets, metrics, runs, reports, comparisons; `assistant eval` and `assistant calibrate`."""
