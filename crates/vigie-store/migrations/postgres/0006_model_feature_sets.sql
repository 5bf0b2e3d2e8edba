-- What a model serves follows from its inputs (vigie_core::features::FeatureSet): `full`
-- models score companies, `self` models answer the public self-diagnosis. One active model
-- per feature set.
ALTER TABLE models ADD COLUMN feature_set TEXT NOT NULL DEFAULT 'full';
DROP INDEX models_one_active;
CREATE UNIQUE INDEX models_one_active ON models (feature_set, active) WHERE active = 1;
