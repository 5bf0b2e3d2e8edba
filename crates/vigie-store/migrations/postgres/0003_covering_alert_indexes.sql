-- The partial alert indexes also hold every column an alert list filters or counts on, so
-- that choosing a page's keys and counting alerts by level can be index-only scans.
DROP INDEX scores_alerts_by_level;
DROP INDEX scores_alerts_by_territory;
CREATE INDEX scores_alerts_by_level ON scores (run_id, level, p_18m DESC, company_id)
    INCLUDE (departement, naf_section, size_band, previous_level)
    WHERE level <> 'green';
CREATE INDEX scores_alerts_by_territory ON scores (run_id, departement, p_18m DESC, company_id)
    INCLUDE (level, naf_section, size_band, previous_level)
    WHERE level <> 'green';
