-- Backtests of past runs: for each run and elapsed horizon, what became of the companies
-- it scored (written by the batch before each run's own transaction, about the runs
-- already committed; removed with their run).
CREATE TABLE backtests (
    run_id         TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    horizon_months INTEGER NOT NULL CHECK (horizon_months IN (6, 12, 18, 24)),
    as_of          TEXT NOT NULL,      -- month of the run that computed it
    scored         BIGINT NOT NULL,
    failures       BIGINT NOT NULL,
    roc_auc        DOUBLE PRECISION,
    red_flagged    BIGINT NOT NULL,
    red_failed     BIGINT NOT NULL,
    orange_flagged BIGINT NOT NULL,    -- orange or red
    orange_failed  BIGINT NOT NULL,
    mean_predicted DOUBLE PRECISION NOT NULL,
    observed_rate  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, horizon_months)
);
-- The training metrics of a model (metrics.json: its walk-forward series), when known.
ALTER TABLE models ADD COLUMN metrics TEXT;
-- The last comparison of a candidate with the active model (`vigie models compare`), JSON.
ALTER TABLE models ADD COLUMN comparison TEXT;
