"""Trial behind the partial-index choice in BENCHMARKS.md (issue #4): inserts two runs of
800,000 score rows into a SQLite file with the scores table of the migration, with full or
partial (level <> 'green') alert indexes, and a default or 512 MB page cache.

Usage: python3 benches/sqlite_indexes.py base|cache|partial|partial-cache
"""
import os, random, sqlite3, sys, time

random.seed(1)
variant = sys.argv[1]
db = "target/sqlite-indexes-trial.db"
for s in ["", "-wal", "-shm"]:
    try: os.remove(db + s)
    except FileNotFoundError: pass
c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=NORMAL")
if "cache" in variant: c.execute("PRAGMA cache_size=-524288")
c.execute("""CREATE TABLE scores (run_id TEXT NOT NULL, company_id TEXT NOT NULL, departement TEXT NOT NULL, naf TEXT NOT NULL, naf_section TEXT NOT NULL, region TEXT NOT NULL, size_band TEXT NOT NULL, margin DOUBLE PRECISION NOT NULL, p_6m DOUBLE PRECISION NOT NULL, p_12m DOUBLE PRECISION NOT NULL, p_18m DOUBLE PRECISION NOT NULL, p_24m DOUBLE PRECISION NOT NULL, level TEXT NOT NULL, explanation TEXT, previous_level TEXT, previous_p_18m DOUBLE PRECISION, PRIMARY KEY (run_id, company_id)) WITHOUT ROWID""")
where = " WHERE level <> 'green'" if "partial" in variant else ""
c.execute("CREATE INDEX a ON scores (run_id, level, p_18m DESC, company_id)" + where)
c.execute("CREATE INDEX b ON scores (run_id, departement, level, p_18m DESC, company_id)" + where)
c.execute("CREATE INDEX cidx ON scores (company_id, run_id)")
n = 800_000
ids = sorted("%016x" % random.getrandbits(64) for _ in range(n))
def rows(run):
    for i in ids:
        p = random.random() ** 4
        lvl = "red" if p > 0.9 else "orange" if p > 0.6 else "green"
        yield (run, i, "%02d" % random.randint(1, 95), "56.10A", "I", "27", "10-49", 0.1, p/3, p/2, p, p, lvl, '{"x":1}' if lvl != "green" else None, "green", 0.01)
for run in ["2025-11", "2025-12"]:
    t = time.time()
    c.execute("BEGIN")
    c.executemany("INSERT INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows(run))
    c.execute("COMMIT")
    print(variant, run, round(time.time() - t, 1), "s")
