/*-------------------------------------------------------------------------
 *
 * ensemble_internal.h
 *	  What the files of the ensemble learners share.
 *
 * ensemble.c: the ensemble model (members, scoring, model bytes, insight)
 * and the training tasks every ensemble runs its members in;
 * ensemble_config.c: checking and resolving a configuration of members;
 * bagging.c, voting.c, stacking.c: the three learners' fits and registry
 * entries.  The method and the payload are described at the top of
 * ensemble.c.  Only these files include this header; callers use ensemble.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_ENSEMBLE_INTERNAL_H
#define ML_ENSEMBLE_INTERNAL_H

#include "ensemble.h"
#include "../core/metrics.h"

#define ALL_FEATURES 0xFFFFFFFFu
#define MAX_MEMBERS 100000
#define BLOCK 256

typedef enum Kind
{
	K_BAGGING = 1,
	K_VOTING = 2,
	K_STACKING = 3
} Kind;

#define ALL_FEATURES 0xFFFFFFFFu
#define MAX_MEMBERS 100000
#define BLOCK 256

typedef struct Member
{
	const MLLearner *learner;
	void	   *state;
	size_t		p;				/* features it reads */
	int		   *cols;			/* their indexes; NULL: all, in order */
	double		weight;
} Member;

typedef struct Ensemble
{
	Kind		kind;
	size_t		p;
	int			k;				/* classes (0: regression) */
	bool		soft;
	bool		passthrough;
	bool		proba;			/* stacking meta features are probabilities */
	int			n;
	Member	   *m;
	Member		final;			/* stacking */
} Ensemble;

/* the names a member's "features" are matched against */
typedef struct Names
{
	size_t		p;
	char	   *const *name;
	char	   *const *column;
	char	   *const *source;
} Names;

/* a member as configured, before training */
typedef struct Spec
{
	const MLLearner *learner;
	MLParams   *params;
	char	   *path;
	int		   *cols;			/* NULL: all */
	size_t		p;
} Spec;

/* the ensemble learners' ids (model bytes name them; never reuse one) */
#define ML_ID_BAGGING 17
#define ML_ID_VOTING 18
#define ML_ID_STACKING 19
#define ML_ID_CALIBRATED 21		/* calibrated.c: not an ensemble, a wrapper */

extern const MLLearner ml_learner_bagging;
extern const MLLearner ml_learner_voting;
extern const MLLearner ml_learner_stacking;

/* ---- configuration (ensemble_config.c) ---- */

/* the configured path of a member: parent.fmt (fmt formats i), ml_alloc'd */
extern char *ensemble_path_join(const char *parent, const char *fmt, int i);

/* the names of the features cols[0..p) of nm (cols NULL: all) */
extern Names ensemble_names_subset(const Names *nm, const int *cols, size_t p);

/*
 * Check the configuration (params) of an ensemble of this kind over the
 * features nm, k classes (labels), nested depth deep, and resolve its
 * members into *specs (*n_specs), voting's *weights (or NULL) and
 * stacking's final member; errors name a member by its path
 */
extern void ensemble_parse_config(Kind kind, const MLParams *params, const Names *nm, int k,
								  char *const *labels, const char *path, int depth,
								  Spec **specs, int *n_specs, double **weights, Spec *final);

/* ---- training tasks (ensemble.c) ---- */

typedef struct Job
{
	const MLDataset *train;
	const Spec *spec;
	const size_t *rows;			/* training rows; NULL: all */
	size_t		nr;
	int		   *cols;			/* features; NULL: all */
	size_t		pc;
	uint64_t	seed;
	int			threads;
	int			depth;
	Names		names;
	char	   *const *labels;
	/* out-of-fold: predict these rows into oof[row * oof_w + oof_at ...] */
	const size_t *pred_rows;
	size_t		n_pred;
	double	   *oof;
	size_t		oof_w;
	size_t		oof_at;
	bool		keep;			/* hand back the model */
	/* handed back: one block, metric rows then model bytes */
	uint8_t    *block;
	size_t		n_metrics;
	size_t		len;
} Job;

/* outputs per row: k probabilities, or one value (regression) */
static inline size_t
ensemble_out_width(int k)
{
	return k > 0 ? (size_t) k : 1;
}

/* rows (NULL: all) and columns (NULL: all) of d, row-major, into out */
extern void ensemble_gather_rows(const MLDataset *d, const size_t *rows, size_t nr, const int *cols,
								 size_t pc, double *out);
extern void ensemble_job_init(Job *j, const MLDataset *train, const Spec *s, const MLFitContext *ctx,
							  const Names *nm, uint64_t seed);
extern void ensemble_run_jobs(Job *jobs, int n, const MLFitContext *ctx);
extern void ensemble_take_job(Job *j, Member *m, int k, int depth, MLMemberLog *log);
extern void ensemble_log_metric(MLMemberLog *log, const char *name, double value);
extern void ensemble_score(const double *y, const double *pred, size_t n, int k, MLMetricSet *ms);
/* member m's outputs for n rows X of p features (scratch: n x m->p) */
extern void ensemble_member_block(const Member *m, const double *X, size_t n, size_t p,
								  double *scratch, double *out);
/* the names of the features a fit was given (none without ctx) */
extern Names ensemble_ctx_names(const MLFitContext *ctx, size_t p);
/* the seed of member i (salt: the kind of draw) from the run's seed */
extern uint64_t ensemble_member_seed(uint64_t seed, uint64_t salt, uint64_t i);

/* ---- the model (ensemble.c) ---- */

extern void ensemble_predict(const void *state, const double *X, size_t n, double *out);
extern void ensemble_write(const void *state, MLBuffer *out);
extern void *ensemble_read_kind(MLReader *in, size_t p, int k, Kind kind);
extern void ensemble_describe(const void *state, MLBuffer *json);
extern void ensemble_importance(const void *state, const MLDataset *train, double *out);

/* ---- stacking (stacking.c) ---- */

extern size_t stacking_meta_width(const Ensemble *e);
extern void stacking_to_meta(const Ensemble *e, const double *o, size_t n, double *meta, size_t q,
							 size_t at);

#endif							/* ML_ENSEMBLE_INTERNAL_H */
