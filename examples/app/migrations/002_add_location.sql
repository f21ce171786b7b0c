-- Record where each server stands
-- strata:up
ALTER TABLE servers ADD COLUMN location TEXT NOT NULL DEFAULT 'unknown';
CREATE INDEX servers_location ON servers (location);

-- strata:down
DROP INDEX servers_location;
ALTER TABLE servers DROP COLUMN location;
