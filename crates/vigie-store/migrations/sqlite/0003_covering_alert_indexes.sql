-- The partial alert indexes also hold every column an alert list filters or counts on, so
-- that choosing a page's keys and counting alerts by level read the index alone (on a
-- 1,000,000-company store: 1 ms instead of 70 ms for the counts of one département).
DROP INDEX scores_alerts_by_level;
DROP INDEX scores_alerts_by_territory;
CREATE INDEX scores_alerts_by_level
    ON scores (run_id, level, p_18m DESC, company_id, departement, naf_section, size_band, previous_level)
    WHERE level <> 'green';
CREATE INDEX scores_alerts_by_territory
    ON scores (run_id, departement, p_18m DESC, company_id, level, naf_section, size_band, previous_level)
    WHERE level <> 'green';
