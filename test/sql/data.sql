-- test/sql/data.sql: load scikit-learn's breast cancer, diabetes and iris data
-- (written by test/ref/make_fixtures.py) into tables bc, diabetes and iris.
-- Paths are relative to the repository root, where pg_regress and the demo run.
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS bc, diabetes, iris;
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
\unset ON_ERROR_STOP
