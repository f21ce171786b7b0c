\restrict abc
SET x = 1;
  \connect db
SELECT 1 \x
\unrestrict abc
