-- The model's input row of each explained company (a JSON array in the catalogue's order,
-- null for a missing value): what the levers of a company page rescore, on demand.
ALTER TABLE scores ADD COLUMN features TEXT;
