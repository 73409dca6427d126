#!/bin/bash
# A session that has cached a project's model scores with a new deployment
# made by another session from its next query on.
. "$(dirname "$0")/common.inc"

q "SELECT version FROM ml_train('cache', 'SELECT mean_radius, target FROM bc', 'target', 'baseline')" >/dev/null
q "SELECT version FROM ml_train('cache', 'bc_train', 'target', 'logistic', deploy => 'never')" >/dev/null
# one psql session: score, wait for the other session's deploy, score again
out=$(psql -qXAt <<'SQL'
SELECT count(DISTINCT ml_predict('cache', b)) FROM bc b;
\! psql -qXAt -c "SELECT version FROM ml_deploy('cache', 2)" >/dev/null
SELECT count(DISTINCT ml_predict('cache', b)) FROM bc b;
SQL
)
check cache_sees_new_deployment "$(echo $out)" "1 2"
