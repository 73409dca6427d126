#!/bin/bash
# Fashion-MNIST (Debian's dataset-fashion-mnist): the first 3000 training and
# 1000 test images, raw 0..255 pixels as one smallint[784] column per image,
# trained in mlsql with the settings of test/fixtures/fashion_sklearn.csv
# (written by test/ref/make_fixtures.py); each held-out accuracy must be at
# least scikit-learn's minus 0.02 (gbdt: XGBoost's minus 0.005).  The images are decoded with od: no Python.
set -u
. "$(dirname "$0")/common.inc"
export PGOPTIONS="-c client_min_messages=warning"
D=/usr/share/datasets/fashion-mnist

images() {	# images PREFIX N: "label,{p1,...,p784}" lines
	paste -d, \
		<(zcat "$D/$1-labels-idx1-ubyte.gz" 2>/dev/null | tail -c +9 | head -c "$2" | od -An -v -tu1 -w1 | tr -d ' ') \
		<(zcat "$D/$1-images-idx3-ubyte.gz" 2>/dev/null | tail -c +17 | head -c $(($2 * 784)) |
			od -An -v -tu1 -w784 | sed -E 's/^ +//; s/ +/,/g; s/.*/"{&}"/')
}

if [ ! -f "$D/train-images-idx3-ubyte.gz" ]; then
	echo "not ok - integration/fashion: $D is missing (apt-get install dataset-fashion-mnist)"
	exit 0
fi
psql -qX -v ON_ERROR_STOP=1 -c "CREATE TABLE fashion (id serial, part text, label int, pixels smallint[])" \
	-c "CREATE TABLE fashion_ref (learner text, accuracy float8, params jsonb)" \
	-c "\\copy fashion_ref FROM 'test/fixtures/fashion_sklearn.csv' WITH (FORMAT csv, HEADER true)" >/dev/null
{ images train 3000 | sed 's/^/train,/'; images t10k 1000 | sed 's/^/test,/'; } |
	psql -qX -v ON_ERROR_STOP=1 -c "\\copy fashion (part, label, pixels) FROM STDIN WITH (FORMAT csv)" >/dev/null
require fashion_rows "$(q "SELECT count(*) FILTER (WHERE part = 'train') || '/' || count(*) FILTER (WHERE part = 'test')
                        || '/' || bool_and(cardinality(pixels) = 784) FROM fashion")" "3000/1000/true"
# one check per reference learner, and two for the ensembles
plan $(($(q "SELECT count(*) FROM fashion_ref") + 2))

for algo in $(q "SELECT learner FROM fashion_ref ORDER BY learner"); do
	line=$(q "SELECT round((t.metrics->>'accuracy')::numeric, 4) || ' ' || r.accuracy || ' '
	                 || ((t.metrics->>'accuracy')::float8
	                     >= r.accuracy - CASE r.learner WHEN 'gbdt' THEN 0.005 ELSE 0.02 END)
	          FROM fashion_ref r,
	               ml_train('fashion_$algo', 'SELECT pixels, label, part FROM fashion', 'label', r.learner,
	                        '{\"split\": \"column\", \"split_column\": \"part\"}'::jsonb || r.params,
	                        deploy => 'never') t
	          WHERE r.learner = '$algo'" 2>&1)
	echo "# fashion $algo: mlsql, scikit-learn accuracy: ${line% *}"
	check "fashion_$algo" "${line##* }" "true"
done

# ensembles on the fifth reference dataset: bagged trees beat one tree, and
# the stack is at least as good as its best member (the soft vote is
# reported: across the five datasets it is at least as good as its best
# member on four, see sql/ensemble.sql and README)
acc() {	# acc MODEL_REF: the model's test accuracy
	echo "(SELECT value FROM mlsql.metrics WHERE split = 'test' AND name = 'accuracy' AND step IS NULL
	        AND run_id = (SELECT run_id FROM mlsql.models WHERE id = ml_model_id('$1')))"
}
check fashion_bagging_beats_tree "$(q "SELECT $(acc fashion_bagging@1) > $(acc fashion_tree@1)")" "t"
for ens in voting stacking; do
	line=$(q "SELECT round($(acc fashion_$ens@1)::numeric, 4) || ' ' || round(max(score)::numeric, 4) || ' '
	                 || ($(acc fashion_$ens@1) >= max(score) - 1e-12)
	          FROM ml_ensemble_report('fashion_$ens@1')")
	echo "# fashion $ens: ensemble, best member accuracy: ${line% *}"
done
check fashion_stacking_at_least_best_member "${line##* }" "true"
