-- Add IPMI / BMC access fields to servers
-- strata:up
ALTER TABLE servers ADD COLUMN ipmi_address TEXT;
ALTER TABLE servers ADD COLUMN ipmi_username TEXT;
ALTER TABLE servers ADD COLUMN ipmi_password_ref TEXT;
ALTER TABLE servers ADD COLUMN ipmi_port INTEGER NOT NULL DEFAULT 623;
CREATE UNIQUE INDEX idx_servers_ipmi_address ON servers(ipmi_address)
    WHERE ipmi_address IS NOT NULL;

-- strata:down
DROP INDEX idx_servers_ipmi_address;
ALTER TABLE servers DROP COLUMN ipmi_port;
ALTER TABLE servers DROP COLUMN ipmi_password_ref;
ALTER TABLE servers DROP COLUMN ipmi_username;
ALTER TABLE servers DROP COLUMN ipmi_address;
