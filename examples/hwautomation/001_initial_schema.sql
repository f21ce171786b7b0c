-- Initial schema: the servers inventory table
-- strata:up
CREATE TABLE servers (
    id          INTEGER PRIMARY KEY,
    hostname    TEXT    NOT NULL UNIQUE,
    ip_address  TEXT,
    status      TEXT    NOT NULL DEFAULT 'provisioning'
                CHECK (status IN ('provisioning', 'active', 'maintenance', 'retired')),
    environment TEXT    NOT NULL DEFAULT 'production',
    notes       TEXT
);
CREATE INDEX idx_servers_status ON servers(status);

-- strata:down
DROP INDEX idx_servers_status;
DROP TABLE servers;
