/*
 * Who sees what: ordinary roles read the catalog, filtered by row-level
 * security to the projects they own or were granted; every write goes
 * through the API, which switches to the extension owner for the catalog
 * statements only.  No role but the extension owner creates objects in
 * schema mlsql or uses its sequences.
 */

GRANT USAGE ON SCHEMA mlsql TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA mlsql TO PUBLIC;
-- the sequences' privileges spelled out (the owner's only), as an upgrade
-- from 0.2.0 leaves them: PUBLIC had USAGE there
REVOKE USAGE ON ALL SEQUENCES IN SCHEMA mlsql FROM PUBLIC;

-- row-level security asks one C function, which answers for the calling role only
CREATE FUNCTION mlsql.project_visible(project_id bigint) RETURNS boolean
AS 'MODULE_PATHNAME', 'mlsql_project_visible' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION mlsql.project_visible(bigint) IS 'row-level security: whether the calling role owns the project (or is a member of its owner) or was granted it; false for an id that does not exist';

CREATE FUNCTION mlsql.require_manage(project text) RETURNS void
AS 'MODULE_PATHNAME', 'mlsql_require_manage' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION mlsql.require_manage(text) IS 'an error unless the calling role manages the project (42704 when it cannot see it)';

ALTER TABLE mlsql.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.datasets ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.experiments ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.artifacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.deployments ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.aliases ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON mlsql.projects FOR SELECT USING (mlsql.project_visible(id));
CREATE POLICY visible ON mlsql.grants FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.experiments FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.runs FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.models FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.deployments FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.aliases FOR SELECT USING (mlsql.project_visible(project_id));
-- the subqueries read runs through its own policy; the policy's own table's
-- columns are named with the table (a bare "id" inside the subquery would be
-- the run's id: a role seeing a run whose id equals its dataset_id saw every
-- dataset)
CREATE POLICY visible ON mlsql.metrics FOR SELECT
    USING (EXISTS (SELECT 1 FROM mlsql.runs r WHERE r.id OPERATOR(pg_catalog.=) metrics.run_id));
CREATE POLICY visible ON mlsql.artifacts FOR SELECT
    USING (EXISTS (SELECT 1 FROM mlsql.runs r WHERE r.id OPERATOR(pg_catalog.=) artifacts.run_id));
CREATE POLICY visible ON mlsql.datasets FOR SELECT
    USING (pg_catalog.pg_has_role(datasets.created_by::pg_catalog.oid, 'MEMBER')
           OR EXISTS (SELECT 1 FROM mlsql.runs r WHERE r.dataset_id OPERATOR(pg_catalog.=) datasets.id));
