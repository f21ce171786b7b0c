-- Add hardware metadata (CPU, memory, storage, rack position) to servers
-- strata:up
ALTER TABLE servers ADD COLUMN manufacturer TEXT;
ALTER TABLE servers ADD COLUMN model TEXT;
ALTER TABLE servers ADD COLUMN serial_number TEXT;
ALTER TABLE servers ADD COLUMN cpu_model TEXT;
ALTER TABLE servers ADD COLUMN cpu_cores INTEGER CHECK (cpu_cores IS NULL OR cpu_cores > 0);
ALTER TABLE servers ADD COLUMN memory_gb INTEGER CHECK (memory_gb IS NULL OR memory_gb > 0);
ALTER TABLE servers ADD COLUMN storage_gb INTEGER CHECK (storage_gb IS NULL OR storage_gb >= 0);
ALTER TABLE servers ADD COLUMN rack TEXT;
ALTER TABLE servers ADD COLUMN rack_unit INTEGER CHECK (rack_unit IS NULL OR rack_unit BETWEEN 1 AND 52);
CREATE INDEX idx_servers_rack ON servers(rack, rack_unit);

-- strata:down
DROP INDEX idx_servers_rack;
ALTER TABLE servers DROP COLUMN rack_unit;
ALTER TABLE servers DROP COLUMN rack;
ALTER TABLE servers DROP COLUMN storage_gb;
ALTER TABLE servers DROP COLUMN memory_gb;
ALTER TABLE servers DROP COLUMN cpu_cores;
ALTER TABLE servers DROP COLUMN cpu_model;
ALTER TABLE servers DROP COLUMN serial_number;
ALTER TABLE servers DROP COLUMN model;
ALTER TABLE servers DROP COLUMN manufacturer;
