-- install: objects of the extension, their registration and properties
SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'mlsql';

-- the catalog tables of DESIGN.md
SELECT c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'mlsql' AND c.relkind = 'r'
ORDER BY 1;

-- pg_dump keeps every catalog table and sequence
SELECT c::regclass AS dumped
FROM pg_extension e, unnest(e.extconfig) c
WHERE e.extname = 'mlsql'
ORDER BY c::regclass::text;

-- every SQL function has a comment and runs as the caller
SELECT p.oid::regprocedure AS missing_comment_or_definer
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'mlsql'
WHERE obj_description(p.oid, 'pg_proc') IS NULL OR (p.prosecdef AND p.pronamespace <> 'mlsql'::regnamespace);

-- no SECURITY DEFINER function at all: what runs as the owner goes
-- through the catalog door in C
SELECT p.oid::regprocedure AS definer
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'mlsql'
WHERE p.prosecdef;

-- every SQL and PL/pgSQL function locks its search_path, but the five that
-- read a source with the caller's (their functions and operators are
-- qualified; sql/security.sql checks ml_compare and ml_threshold_curve
-- under a hostile search_path)
SELECT p.oid::regprocedure AS follows_caller_search_path
FROM pg_proc p
JOIN pg_language l ON l.oid = p.prolang AND l.lanname IN ('sql', 'plpgsql')
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'mlsql'
WHERE p.proconfig IS DISTINCT FROM '{"search_path=pg_catalog, pg_temp"}'
ORDER BY p.oid::regprocedure::text;

-- row-level security on every catalog table; ordinary roles may only read
SELECT c.relname, c.relrowsecurity AS rls,
       has_table_privilege('public', c.oid, 'SELECT') AS public_select,
       has_table_privilege('public', c.oid, 'INSERT, UPDATE, DELETE') AS public_write
FROM pg_class c WHERE c.relnamespace = 'mlsql'::regnamespace AND c.relkind IN ('r', 'v') ORDER BY 1;

-- every catalog table has a comment
SELECT c.relname AS table_without_comment
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'mlsql' AND c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NULL;

-- scoring is STABLE PARALLEL SAFE; training is VOLATILE
SELECT proname, provolatile, proparallel, count(*) AS overloads
FROM pg_proc
WHERE proname LIKE 'ml\_%' AND pronamespace = 'public'::regnamespace
GROUP BY 1, 2, 3
ORDER BY 1;

-- settings
LOAD 'mlsql';
SHOW mlsql.max_memory;
SHOW mlsql.threads;
SET mlsql.threads = -1;
SET mlsql.max_memory = '512kB';
SET mlsql.no_such_setting = 1;

-- drop and re-create leaves nothing behind
DROP EXTENSION mlsql;
SELECT count(*) AS leftover_schema FROM pg_namespace WHERE nspname = 'mlsql';
CREATE EXTENSION mlsql;
SELECT count(*) AS projects FROM mlsql.projects;
