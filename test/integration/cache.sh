#!/bin/bash
# A session that has cached a project's model scores with a new deployment
# made by another session from its next query on.
. "$(dirname "$0")/common.inc"
plan 7

q "SELECT version FROM ml_train('cache', 'SELECT mean_radius, target FROM bc', 'target', 'baseline', deploy => 'always')" >/dev/null
q "SELECT version FROM ml_train('cache', 'bc_train', 'target', 'logistic', deploy => 'never')" >/dev/null
# one psql session: score, wait for the other session's deploy, score again
out=$(psql -qXAt <<'SQL'
SELECT count(DISTINCT ml_predict('cache', b)) FROM bc b;
\! psql -qXAt -c "SELECT version FROM ml_deploy('cache', 2)" >/dev/null
SELECT count(DISTINCT ml_predict('cache', b)) FROM bc b;
SQL
)
check cache_sees_new_deployment "$(echo $out)" "1 2"

# Resolved references are also kept across queries (the reference cache);
# every change another session makes is seen by the next query.
q "SELECT ml_alias('cache', 'champion', 1)" >/dev/null
PGOPTIONS="-c client_min_messages=warning" q "DROP ROLE IF EXISTS cache_user; DROP ROLE IF EXISTS cache_group; CREATE ROLE cache_user; CREATE ROLE cache_group; GRANT cache_group TO cache_user; GRANT SELECT ON bc TO cache_user" >/dev/null
q "SELECT ml_grant('cache', 'cache_group', 'use')" >/dev/null
out=$(psql -qXAt 2>&1 <<'SQL'
SELECT 'alias', count(DISTINCT ml_predict('cache@champion', b)) FROM bc b;
\! psql -qXAt -c "SELECT ml_alias('cache', 'champion', 2)" >/dev/null
SELECT 'alias', count(DISTINCT ml_predict('cache@champion', b)) FROM bc b;
\! psql -qXAt -c "SELECT version FROM ml_deploy('cache', 1)" >/dev/null
SELECT 'id', count(DISTINCT ml_predict(ml_model_id('cache'), b)) FROM bc b;
\! psql -qXAt -c "UPDATE mlsql.models m SET threshold = 0.99 FROM mlsql.projects p WHERE p.id = m.project_id AND p.name = 'cache' AND m.version = 2" >/dev/null
SELECT 'threshold', sum(ml_predict('cache@2', b)) < (SELECT sum(target) FROM bc) - 50 FROM bc b;
SET ROLE cache_user;
SELECT 'member', count(DISTINCT ml_predict('cache', b)) FROM bc b;
\! psql -qXAt -c "REVOKE cache_group FROM cache_user" >/dev/null
SELECT 'revoked', count(DISTINCT ml_predict('cache', b)) FROM bc b;
RESET ROLE;
\! psql -qXAt -c "GRANT cache_group TO cache_user" >/dev/null
SET ROLE cache_user;
SELECT 'regranted', count(DISTINCT ml_predict('cache', b)) FROM bc b;
\! psql -qXAt -c "SELECT ml_grant('cache', 'cache_group', 'none')" >/dev/null
SELECT 'ungranted', count(DISTINCT ml_predict('cache', b)) FROM bc b;
RESET ROLE;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'snapshot', count(DISTINCT ml_predict('cache', b)) FROM bc b;
\! psql -qXAt -c "SELECT version FROM ml_deploy('cache', 2)" >/dev/null
SELECT 'snapshot', count(DISTINCT ml_predict('cache', b)) FROM bc b;
COMMIT;
SELECT 'after', count(DISTINCT ml_predict('cache', b)) FROM bc b;
SQL
)
q "DROP OWNED BY cache_user; DROP ROLE cache_user; DROP ROLE cache_group" >/dev/null
check cache_sees_new_alias "$(echo "$out" | grep '^alias' | tr '\n' ' ')" "alias|1 alias|2 "
check cache_sees_deploy_by_id "$(echo "$out" | grep '^id')" "id|1"
check cache_sees_new_threshold "$(echo "$out" | grep '^threshold')" "threshold|t"
# member, revoked (an error), regranted, ungranted (an error)
check cache_sees_role_membership_and_grants "$(echo "$out" | grep -E '^(member|revoked|regranted|ungranted)|does not exist' | sed 's/.*ERROR: *//' | tr '\n' ' ')" \
	"member|1 project \"cache\" does not exist regranted|1 project \"cache\" does not exist "
check cache_follows_repeatable_read_snapshot "$(echo "$out" | grep -E '^(snapshot|after)' | tr '\n' ' ')" "snapshot|1 snapshot|1 after|2 "

# With a lookup table's trigger disabled nothing is cached: a deployment made
# while it is off is still seen by the next query.
q "ALTER TABLE mlsql.deployments DISABLE TRIGGER references_changed" >/dev/null
out=$(psql -qXAt <<'SQL'
SELECT count(DISTINCT ml_predict('cache', b)) FROM bc b;
\! psql -qXAt -c "SELECT version FROM ml_deploy('cache', 1)" >/dev/null
SELECT count(DISTINCT ml_predict('cache', b)) FROM bc b;
SQL
)
q "ALTER TABLE mlsql.deployments ENABLE ALWAYS TRIGGER references_changed" >/dev/null
check cache_off_without_its_trigger "$(echo $out)" "2 1"
