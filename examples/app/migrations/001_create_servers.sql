-- Create the servers table
-- strata:up
CREATE TABLE servers (
	id INTEGER PRIMARY KEY,
	hostname TEXT NOT NULL UNIQUE,
	ip_address TEXT,
	added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- strata:down
DROP TABLE servers;
