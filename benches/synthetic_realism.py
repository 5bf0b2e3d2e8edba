#!/usr/bin/env python3
"""The realism figures of docs/synthetic-data.md, from a panel.

Usage:
  vigie generate --companies 20000 --years 8 --seed 42 --out /tmp/g20
  vigie panel --input /tmp/g20 --out /tmp/g20/panel.parquet --step 3 --demo-key
  .venv-peers/bin/python benches/synthetic_realism.py /tmp/g20/panel.parquet
"""
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

df = pd.read_parquet(sys.argv[1])
d = df[df.label_18m.notna()].copy()
y = d.label_18m.values
print("18-month label rate by year (%):", (d.groupby(d.month.str[:4]).label_18m.mean() * 100).round(2).to_dict())
d["section"] = d.prof_sector.map(lambda i: chr(65 + int(i)))
print("by sector (%):", (d.groupby("section").label_18m.mean() * 100).round(2).to_dict())
d["age"] = pd.cut(d.prof_age_years, [-1, 3, 5, 10, 200], labels=["<3", "3-5", "5-10", "10+"])
print("by age (%):", (d.groupby("age", observed=True).label_18m.mean() * 100).round(2).to_dict())
print("by size (%):", (d.groupby("size_band").label_18m.mean() * 100).round(2).to_dict())
# Single-feature AUCs, missing values ranked lowest (a naive score would).
for c, fill in [("tax_arrears_ratio", -1), ("act_vat_growth_yoy", 99), ("soc_debt_ratio", -1),
                ("fin_tax_social_liab_to_turnover", -1), ("fin_equity_to_assets", 99)]:
    a = roc_auc_score(y, d[c].fillna(fill).values)
    print(f"AUC of {c} alone: {max(a, 1 - a):.3f}")
print("missing shares:", d[["fin_ebitda_margin", "tax_arrears_ratio", "soc_debt_ratio", "act_vat_growth_yoy"]].isna().mean().round(3).to_dict())
