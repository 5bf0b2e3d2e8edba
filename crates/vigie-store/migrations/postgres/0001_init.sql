-- Vigie score store, PostgreSQL dialect. The SQLite migration of the same number creates
-- the same tables with the same columns; only types and identity columns differ.
-- Times are UTC ISO 8601 text ("2026-11-29T02:37:32Z"); booleans are 0/1 integers, so that
-- both back-ends read back the same values.

CREATE TABLE companies (
    company_id  TEXT PRIMARY KEY,
    departement TEXT NOT NULL,
    naf         TEXT NOT NULL,
    size_band   TEXT NOT NULL,
    last_run_id TEXT NOT NULL
);

CREATE TABLE runs (
    run_id        TEXT PRIMARY KEY,
    month         TEXT NOT NULL,
    model_version TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    status        TEXT NOT NULL,
    scored        BIGINT NOT NULL,
    excluded      BIGINT NOT NULL,
    rejected      BIGINT NOT NULL,
    red           BIGINT NOT NULL,
    orange        BIGINT NOT NULL,
    green         BIGINT NOT NULL,
    report        TEXT NOT NULL
);
CREATE INDEX runs_by_month ON runs (month, finished_at);

CREATE TABLE scores (
    run_id      TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    company_id  TEXT NOT NULL,
    departement TEXT NOT NULL,
    naf         TEXT NOT NULL,
    naf_section TEXT NOT NULL,      -- NAF section letter (A-U)
    region      TEXT NOT NULL,      -- INSEE region code
    size_band   TEXT NOT NULL,
    margin      DOUBLE PRECISION NOT NULL,
    p_6m        DOUBLE PRECISION NOT NULL,
    p_12m       DOUBLE PRECISION NOT NULL,
    p_18m       DOUBLE PRECISION NOT NULL,
    p_24m       DOUBLE PRECISION NOT NULL,
    level       TEXT NOT NULL,
    explanation TEXT,
    previous_level TEXT,
    previous_p_18m DOUBLE PRECISION,
    PRIMARY KEY (run_id, company_id)
);
-- The alert lists (national, by territory), by descending risk. Partial: only the alerts
-- (a few per cent of the rows) are indexed, so writing a run stays cheap; queries that
-- want them say `level <> 'green'` in these exact words.
CREATE INDEX scores_alerts_by_level ON scores (run_id, level, p_18m DESC, company_id)
    WHERE level <> 'green';
CREATE INDEX scores_alerts_by_territory ON scores (run_id, departement, p_18m DESC, company_id)
    WHERE level <> 'green';
CREATE INDEX scores_by_company ON scores (company_id, run_id);

CREATE TABLE models (
    version       TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    family        TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 0,
    model_json    TEXT NOT NULL,
    card          TEXT
);
CREATE UNIQUE INDEX models_one_active ON models (active) WHERE active = 1;

CREATE TABLE follow_ups (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('to_contact', 'contacted', 'in_support', 'closed')),
    note       TEXT,
    author     TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX follow_ups_by_company ON follow_ups (company_id, id);

CREATE TABLE feedback (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id TEXT NOT NULL,
    run_id     TEXT,
    useful     INTEGER NOT NULL CHECK (useful IN (0, 1)),
    reason     TEXT,
    author     TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX feedback_by_company ON feedback (company_id, id);

CREATE TABLE api_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('agent', 'analyst', 'admin')),
    territories TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TEXT NOT NULL,
    token_name TEXT NOT NULL,
    route      TEXT NOT NULL,
    company_id TEXT,
    territory  TEXT,
    outcome    TEXT NOT NULL,
    reason     TEXT
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
