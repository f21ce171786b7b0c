# bench/floor.sh - helpers for bench/run.sh (sourced, POSIX sh): the
# migrations, and the sqlite3 script that does the same work as strata.

# The up body of migration i, as awk source: used for the files and for the
# floor, so both run the very same statements.
BENCH_BODY='sprintf("CREATE TABLE t_%d (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t_%d (v) VALUES ('"'"'x'"'"');", i, i)'

# gen_migrations DIR N: 0001_t1.sql ... each with an up and a down section.
gen_migrations() {
	awk -v dir="$1" -v n="$2" 'BEGIN {
		w = length(n "") < 4 ? 4 : length(n "")
		for (i = 1; i <= n; i++) {
			f = sprintf("%s/%0" w "d_t%d.sql", dir, i, i)
			printf "-- strata:up\n%s\n-- strata:down\nDROP TABLE t_%d;\n",
				'"$BENCH_BODY"', i > f
			close(f)
		}
	}'
}

# synth_tracking N DDL MIG HIST: tracking DDL and rows like strata's, for
# timing the floor when there is no strata binary to copy them from.
synth_tracking() {
	cat >"$2" <<'EOF'
CREATE TABLE strata_migrations (
  version INTEGER PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  checksum TEXT NOT NULL,
  checksum_algo TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  execution_ms INTEGER NOT NULL,
  applied_by TEXT,
  up_sql TEXT,
  down_sql TEXT
);
CREATE TABLE strata_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version INTEGER,
  name TEXT,
  direction TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  execution_ms INTEGER,
  statements_done INTEGER,
  error TEXT,
  backup_path TEXT,
  applied_by TEXT
);
EOF
	awk -v n="$1" -v mig="$3" -v hist="$4" 'BEGIN {
		sum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		t = "2026-01-01T00:00:00.000Z"
		for (i = 1; i <= n; i++) {
			body = '"$BENCH_BODY"'
			gsub(/\047/, "\047\047", body)
			gsub(/\n/, "\\n", body)
			printf "INSERT INTO strata_migrations(version,name,description,checksum,checksum_algo,applied_at,execution_ms,applied_by,up_sql,down_sql) VALUES(%d,\047t%d\047,\047\047,\047%s\047,\047sha256\047,\047%s\047,0,\047bench@host\047,replace(\047%s\047,\047\\n\047,char(10)),\047DROP TABLE t_%d;\047);\n",
				i, i, sum, t, body, i > mig
			printf "INSERT INTO strata_history(version,name,direction,status,started_at,finished_at,execution_ms,statements_done,error,backup_path,applied_by) VALUES(%d,\047t%d\047,\047up\047,\047success\047,\047%s\047,\047%s\047,0,2,NULL,NULL,\047bench@host\047);\n",
				i, i, t, t > hist
		}
	}'
}

# floor_script N JOURNAL_MODE DDL MIG HIST: the whole fresh 'up' as one
# sqlite3 script.  MIG and HIST hold one INSERT a line, in version order.
floor_script() {
	awk -v n="$1" -v mode="$2" -v ddl="$3" -v mig="$4" -v hist="$5" 'BEGIN {
		if (mode != "" && mode != "delete")
			printf "PRAGMA journal_mode=%s;\n", mode
		print "BEGIN IMMEDIATE;"
		while ((getline line < ddl) > 0)
			print line
		print "COMMIT;"
		for (i = 1; i <= n; i++) {
			if ((getline m < mig) <= 0 || (getline h < hist) <= 0) {
				print "bench: fewer tracking rows than migrations" > "/dev/stderr"
				exit 1
			}
			print "BEGIN IMMEDIATE;"
			print '"$BENCH_BODY"'
			print m
			print h
			print "COMMIT;"
		}
	}'
}
