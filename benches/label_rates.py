#!/usr/bin/env python3
"""Observed failure rates of a panel by month (companies already in procedure excluded):
what a model trained at a given cutoff could know of the economy's failure rate.

Usage: python3 benches/label_rates.py PANEL.parquet   (needs `pip install polars`)

BENCHMARKS.md quotes it for the walk-forward calibration figures of issue #12.
"""
import sys

import polars as pl

panel = sys.argv[1]
pl.Config.set_tbl_rows(200)
rates = (
    pl.scan_parquet(panel)
    .filter(pl.col("in_procedure") == 0)
    .group_by("month")
    .agg(
        pl.len().alias("rows"),
        *[pl.col(f"label_{h}m").mean().alias(f"rate_{h}m") for h in (6, 12, 18, 24)],
    )
    .sort("month")
    .collect()
)
print(rates)
