-- Add created/updated/last-seen timestamps to servers
-- SQLite's ALTER TABLE ADD COLUMN only takes constant defaults, so existing
-- rows are back-filled with an UPDATE and updated_at is kept by a trigger.
-- strata:up
ALTER TABLE servers ADD COLUMN created_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00Z';
ALTER TABLE servers ADD COLUMN updated_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00Z';
ALTER TABLE servers ADD COLUMN last_seen_at TEXT;
UPDATE servers
   SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
       updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now');
CREATE TRIGGER trg_servers_created_at
AFTER INSERT ON servers
FOR EACH ROW WHEN NEW.created_at = '1970-01-01T00:00:00Z'
BEGIN
    UPDATE servers
       SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
           updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
     WHERE id = NEW.id;
END;
CREATE TRIGGER trg_servers_updated_at
AFTER UPDATE ON servers
FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE servers SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
     WHERE id = NEW.id;
END;
CREATE INDEX idx_servers_last_seen_at ON servers(last_seen_at);

-- strata:down
DROP INDEX idx_servers_last_seen_at;
DROP TRIGGER trg_servers_updated_at;
DROP TRIGGER trg_servers_created_at;
ALTER TABLE servers DROP COLUMN last_seen_at;
ALTER TABLE servers DROP COLUMN updated_at;
ALTER TABLE servers DROP COLUMN created_at;
