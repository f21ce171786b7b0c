-- One row per server with its tags, as the app lists them
-- strata:up
CREATE VIEW inventory AS
SELECT s.hostname,
       coalesce(s.ip_address, '') AS ip_address,
       s.location,
       coalesce((SELECT group_concat(name, ',')
                 FROM (SELECT t.name AS name
                       FROM server_tags st JOIN tags t ON t.id = st.tag_id
                       WHERE st.server_id = s.id
                       ORDER BY t.name)), '') AS tags
FROM servers s;

-- strata:down
DROP VIEW inventory;
