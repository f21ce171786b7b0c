-- Add power state tracking
-- strata:up
ALTER TABLE servers ADD COLUMN power_state TEXT DEFAULT 'UNKNOWN';
CREATE TABLE power_state_history (
    id          INTEGER PRIMARY KEY,
    server_id   INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    old_state   TEXT,
    new_state   TEXT NOT NULL,
    changed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    changed_by  TEXT,
    reason      TEXT
);
CREATE INDEX idx_power_state_history_server ON power_state_history(server_id, changed_at);

-- strata:down
DROP INDEX idx_power_state_history_server;
DROP TABLE power_state_history;
ALTER TABLE servers DROP COLUMN power_state;
