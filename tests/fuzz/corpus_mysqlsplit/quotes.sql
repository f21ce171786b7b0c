SELECT 'a;b', "c;\"d", `e;``f`; -- x;
# y;
/* z; */ SELECT 1--1;
/*!40101 SET NAMES utf8mb4 */;
SELECT NEW.end, @begin, `end` FROM t;
SELECT 'open; x