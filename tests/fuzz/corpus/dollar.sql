CREATE FUNCTION f() RETURNS int AS $fn$
BEGIN
  RETURN 1; -- x
END;
$fn$ LANGUAGE plpgsql;
SELECT $$a;$$, $1;