-- test/data/load.sql: load scikit-learn's breast cancer, diabetes, iris, wine and digits
-- data (written by test/ref/make_fixtures.py) into tables bc, diabetes, iris, wine, digits.
-- Paths are relative to the repository root, where pg_regress and the demo run.
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS bc, diabetes, iris, wine, digits CASCADE;
CREATE TABLE bc (
    id int PRIMARY KEY,
    mean_radius float8,
    mean_texture float8,
    mean_perimeter float8,
    mean_area float8,
    mean_smoothness float8,
    mean_compactness float8,
    mean_concavity float8,
    mean_concave_points float8,
    mean_symmetry float8,
    mean_fractal_dimension float8,
    radius_error float8,
    texture_error float8,
    perimeter_error float8,
    area_error float8,
    smoothness_error float8,
    compactness_error float8,
    concavity_error float8,
    concave_points_error float8,
    symmetry_error float8,
    fractal_dimension_error float8,
    worst_radius float8,
    worst_texture float8,
    worst_perimeter float8,
    worst_area float8,
    worst_smoothness float8,
    worst_compactness float8,
    worst_concavity float8,
    worst_concave_points float8,
    worst_symmetry float8,
    worst_fractal_dimension float8,
    diagnosis text NOT NULL,
    target int NOT NULL
);
\copy bc FROM 'test/data/breast_cancer.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE diabetes (
    id int PRIMARY KEY,
    age float8,
    sex float8,
    bmi float8,
    bp float8,
    s1 float8,
    s2 float8,
    s3 float8,
    s4 float8,
    s5 float8,
    s6 float8,
    target float8 NOT NULL
);
\copy diabetes FROM 'test/data/diabetes.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE iris (
    id int PRIMARY KEY,
    sepal_length float8,
    sepal_width float8,
    petal_length float8,
    petal_width float8,
    species text NOT NULL
);
\copy iris FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE wine (
    id int PRIMARY KEY,
    alcohol float8,
    malic_acid float8,
    ash float8,
    alcalinity_of_ash float8,
    magnesium float8,
    total_phenols float8,
    flavanoids float8,
    nonflavanoid_phenols float8,
    proanthocyanins float8,
    color_intensity float8,
    hue float8,
    od280_od315_of_diluted_wines float8,
    proline float8,
    cultivar text NOT NULL
);
\copy wine FROM 'test/data/wine.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE digits (
    id int PRIMARY KEY,
    pixels smallint[] NOT NULL,	-- 8 x 8 grey levels 0..16
    digit int NOT NULL
);
\copy digits FROM 'test/data/digits.csv' WITH (FORMAT csv, HEADER true)
-- training views without the id column, and the features as arrays
CREATE VIEW bc_train AS SELECT mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension, target FROM bc;
CREATE VIEW bc_arrays AS SELECT id, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension]::float8[] AS features, target FROM bc;
CREATE VIEW diabetes_train AS SELECT age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, target FROM diabetes;
CREATE VIEW iris_train AS SELECT sepal_length, sepal_width, petal_length, petal_width, species FROM iris;
CREATE VIEW wine_train AS SELECT alcohol, malic_acid, ash, alcalinity_of_ash, magnesium, total_phenols, flavanoids, nonflavanoid_phenols, proanthocyanins, color_intensity, hue, od280_od315_of_diluted_wines, proline, cultivar FROM wine;
-- the same with a fixed split column: rows with id % 4 = 0 are the test set
-- (test/ref/make_fixtures.py scores scikit-learn on the same rows)
CREATE VIEW bc_split AS SELECT mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension, target, CASE WHEN id % 4 = 0 THEN 'test' ELSE 'train' END AS part FROM bc;
CREATE VIEW iris_split AS SELECT sepal_length, sepal_width, petal_length, petal_width, species, CASE WHEN id % 4 = 0 THEN 'test' ELSE 'train' END AS part FROM iris;
CREATE VIEW wine_split AS SELECT alcohol, malic_acid, ash, alcalinity_of_ash, magnesium, total_phenols, flavanoids, nonflavanoid_phenols, proanthocyanins, color_intensity, hue, od280_od315_of_diluted_wines, proline, cultivar, CASE WHEN id % 4 = 0 THEN 'test' ELSE 'train' END AS part FROM wine;
CREATE VIEW digits_split AS SELECT pixels, digit AS target, CASE WHEN id % 4 = 0 THEN 'test' ELSE 'train' END AS part FROM digits;
CREATE VIEW diabetes_split AS SELECT age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, target, CASE WHEN id % 4 = 0 THEN 'test' ELSE 'train' END AS part FROM diabetes;
\unset ON_ERROR_STOP
