-- test/regress/datasets.sql: fixture, the bundled data sets, freshly loaded
\set datasets_echo :ECHO
\set ECHO none
-- A regress test that uses tables bc, diabetes, iris, wine, digits or their
-- views includes this at its top (\i test/regress/datasets.sql; paths are
-- relative to the repository root, where pg_regress runs), so that it runs
-- alone on a database holding only the extension, and in the sequence on
-- the same data whatever ran before.  test/data/load.sql drops and re-creates
-- the tables (an object that depends on them goes too).  Nothing of it shows
-- in the expected output past the lines above, but an error does.
SELECT current_setting('client_min_messages') AS datasets_cmm \gset
SET client_min_messages = warning;
\i test/data/load.sql
SET client_min_messages = :'datasets_cmm';
\set ECHO :datasets_echo
