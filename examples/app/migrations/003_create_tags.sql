-- Free-form tags on servers
-- strata:up
CREATE TABLE tags (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
CREATE TABLE server_tags (
	server_id INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
	tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
	PRIMARY KEY (server_id, tag_id)
);

-- strata:down
DROP TABLE server_tags;
DROP TABLE tags;
