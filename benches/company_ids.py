"""Companies of a store's latest run for the API load tests (benches/api.sh, api_tail.sh):
1,000 drawn at random (seed 1), then up to 1,000 red alerts (their answers carry levers).

Usage: python3 benches/company_ids.py STORE_FILE lua|regex
  lua:   two Lua tables, `ids` and `reds`, for wrk's scripts;
  regex: the 1,000 companies as one alternation, for oha's --rand-regex-url.
"""
import random
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
run = db.execute("SELECT run_id FROM runs ORDER BY month DESC, finished_at DESC LIMIT 1").fetchone()[0]
ids = [r[0] for r in db.execute("SELECT company_id FROM scores WHERE run_id = ?", (run,))]
random.seed(1)
pick = random.sample(ids, 1000)
if sys.argv[2] == "regex":
    print("|".join(pick))
    sys.exit()
print("ids = {" + ",".join(f'"{i}"' for i in pick) + "}")
reds = [r[0] for r in db.execute("SELECT company_id FROM scores WHERE run_id = ? AND level = 'red' ORDER BY company_id", (run,))]
pick = random.sample(reds, min(1000, len(reds)))
print("reds = {" + ",".join(f'"{i}"' for i in pick) + "}")
