-- test/regress/houses.sql: fixture, table houses (400 rows of every column type), fresh
\set houses_echo :ECHO
\set ECHO none
-- Tests preprocess, data and learners include this at their top (paths are
-- relative to the repository root, where pg_regress runs): houses is dropped
-- and made again, so that each test runs alone and, in the sequence, on the
-- same rows whatever an earlier test changed.  Enum type heating stays once
-- made (dropping it would take columns of other tables with it).  Nothing of
-- it shows in the expected output past the lines above, but an error does.
SELECT current_setting('client_min_messages') AS houses_cmm \gset
SET client_min_messages = warning;
DROP TABLE IF EXISTS houses CASCADE;
SELECT to_regtype('heating') IS NULL AS houses_make_heating \gset
\if :houses_make_heating
CREATE TYPE heating AS ENUM ('gas', 'electric', 'wood');
\endif
CREATE TABLE houses AS
SELECT i AS id,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (ARRAY['paris', 'lyon', 'nice', 'lille'])[1 + i % 4] END AS city,
       CASE WHEN i % 11 = 0 THEN NULL ELSE 50 + (i * 37 % 100) END::float8 AS sqft,
       (i % 5)::int AS rooms,
       (i % 2 = 0) AS garden,
       (ARRAY['gas', 'electric', 'wood'])[1 + i % 3]::heating AS heat,
       date '2020-01-01' + (i % 365) AS listed,
       timestamp '2020-01-01 00:00' + i * interval '1 hour' AS seen,
       ARRAY[(i % 7)::float4, (i % 3)::float4] AS emb,
       (1000 + 20 * (50 + (i * 37 % 100)) + 300 * (i % 5) + 150 * (i % 2)
        + CASE (ARRAY['paris', 'lyon', 'nice', 'lille'])[1 + i % 4] WHEN 'paris' THEN 900 WHEN 'nice' THEN 400 ELSE 0 END
        + (i * 7919 % 101) - 50)::float8 AS price,
       CASE WHEN i % 4 = 0 THEN 'paris' ELSE 'other' END AS label
FROM generate_series(1, 400) i;
SET client_min_messages = :'houses_cmm';
\set ECHO :houses_echo
