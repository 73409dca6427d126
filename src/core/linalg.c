/*-------------------------------------------------------------------------
 *
 * linalg.c
 *	  OpenBLAS / LAPACK wrappers and L-BFGS.
 *
 * L-BFGS keeps the last m = 10 (s, y) pairs and applies the two-loop
 * recursion; pairs with s.y <= 1e-10 |s||y| are skipped so the implicit
 * Hessian stays positive definite.  Each iteration costs O(m n) plus one or
 * more objective evaluations.
 *
 *-------------------------------------------------------------------------
 */
#include "linalg.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

extern void openblas_set_num_threads(int);
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a,
				   const int *lda, double *b, const int *ldb, int *info);
extern void dgelsd_(const int *m, const int *n, const int *nrhs, double *a,
					const int *lda, double *b, const int *ldb, double *s,
					const double *rcond, int *rank, double *work,
					const int *lwork, int *iwork, int *info);

static int
to_int(size_t v)
{
	if (v > (size_t) 0x7fffffff)
		ml_error(ML_ERR_LIMIT, NULL, "matrix dimension %zu exceeds the BLAS limit", v);
	return (int) v;
}

/*
 * OpenBLAS's pthread build starts a worker thread per core when it loads,
 * which spins on sched_yield for a while before it sleeps: about 0.1 s of
 * a core in every backend that loads mlsql.  With one thread they are
 * never used, so they are stopped (the build's own fork handler does the
 * same); builds without the entry point (serial, OpenMP) have no such
 * threads.
 */
extern int	blas_thread_shutdown_(void) __attribute__((weak));

void
linalg_set_threads(int n)
{
	openblas_set_num_threads(n < 1 ? 1 : n);
	if (n <= 1 && blas_thread_shutdown_ != NULL)
		blas_thread_shutdown_();
}

void
linalg_gram(const double *X, size_t n, size_t p, double *G)
{
	int			in = to_int(n),
				ip = to_int(p);

	if (p == 0)
		return;
	cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, ip, in, 1.0, X,
				in > 0 ? in : 1, 0.0, G, ip);
	for (size_t j = 0; j < p; j++)
		for (size_t i = j + 1; i < p; i++)
			G[j * p + i] = G[i * p + j];
}

void
linalg_xty(const double *X, size_t n, size_t p, const double *y, double *v)
{
	int			in = to_int(n);

	if (p == 0)
		return;
	cblas_dgemv(CblasColMajor, CblasTrans, in, to_int(p), 1.0, X,
				in > 0 ? in : 1, y, 1, 0.0, v, 1);
}

bool
linalg_solve_spd(double *A, double *b, size_t p)
{
	int			ip = to_int(p),
				nrhs = 1,
				info = 0;

	if (p == 0)
		return true;
	dposv_("U", &ip, &nrhs, A, &ip, b, &ip, &info);
	if (info < 0)
		ml_error(ML_ERR_INTERNAL, NULL, "dposv rejected argument %d", -info);
	return info == 0;
}

void
linalg_lstsq(double *A, size_t n, size_t p, double *b)
{
	int			in = to_int(n),
				ip = to_int(p),
				nrhs = 1,
				ldb = in > ip ? in : ip,
				rank,
				info = 0,
				lwork = -1,
				iwork_q = 0;
	double		rcond = -1.0,
				wq;
	double	   *s,
			   *work;
	int		   *iwork;
	size_t		mn = n < p ? n : p;

	if (p == 0 || n == 0)
		return;
	s = ml_alloc(sizeof(double) * (mn ? mn : 1));
	dgelsd_(&in, &ip, &nrhs, A, &in, b, &ldb, s, &rcond, &rank, &wq, &lwork, &iwork_q, &info);
	lwork = (int) wq + 1;
	work = ml_alloc(ml_mul_size((size_t) lwork, sizeof(double)));
	iwork = ml_alloc(ml_mul_size((size_t) (iwork_q > 1 ? iwork_q : 1), sizeof(int)));
	dgelsd_(&in, &ip, &nrhs, A, &in, b, &ldb, s, &rcond, &rank, work, &lwork, iwork, &info);
	if (info != 0)
		ml_error(ML_ERR_DATA, NULL, "least squares did not converge (dgelsd info %d)", info);
	ml_free(s);
	ml_free(work);
	ml_free(iwork);
}

void
linalg_gemm_nn(const double *A, size_t n, size_t p, const double *B, size_t k, double *C)
{
	int			in = to_int(n);

	if (n == 0 || k == 0)
		return;
	if (p == 0)
	{
		memset(C, 0, sizeof(double) * n * k);
		return;
	}
	cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, in, to_int(k), to_int(p),
				1.0, A, in, B, to_int(p), 0.0, C, in);
}

void
linalg_gemm_tn(const double *A, size_t n, size_t p, const double *B, size_t k, double *C)
{
	int			in = to_int(n);

	if (p == 0 || k == 0)
		return;
	if (n == 0)
	{
		memset(C, 0, sizeof(double) * p * k);
		return;
	}
	cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, to_int(p), to_int(k), in,
				1.0, A, in, B, in, 0.0, C, to_int(p));
}

static double
dot(const double *a, const double *b, size_t n)
{
	double		s = 0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double
max_abs(const double *a, size_t n)
{
	double		m = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (isnan(a[i]))
			return NAN;			/* never "converged" on a NaN gradient */
		m = fmax(m, fabs(a[i]));
	}
	return m;
}

int
lbfgs_minimize(MLObjective f, MLIterHook on_iter, void *arg,
			   double *x, size_t n, int max_iter, double tol, bool *converged)
{
	enum
	{
		M = 10
	};
	double	   *g = ml_alloc(ml_mul_size(n, sizeof(double)));
	double	   *d = ml_alloc(n * sizeof(double));
	double	   *xn = ml_alloc(n * sizeof(double));
	double	   *gn = ml_alloc(n * sizeof(double));
	double	   *S = ml_alloc(ml_mul_size(n, M * sizeof(double)));
	double	   *Y = ml_alloc(ml_mul_size(n, M * sizeof(double)));
	double	   *ynew = ml_alloc(n * sizeof(double));
	double		rho[M],
				alpha[M];
	int			stored = 0,
				head = 0,
				iter;
	double		fx = f(x, g, arg);

	*converged = false;
	if (!isfinite(fx) || isnan(max_abs(g, n)))
		ml_error(ML_ERR_DATA, "Rescale the features: some values are too large.",
				 "the training objective is not finite at the start");
	for (iter = 0; iter < max_iter; iter++)
	{
		double		gd,
					step,
					fn = fx;
		int			tries;

		ml_check_interrupts();
		if (max_abs(g, n) <= tol)
		{
			*converged = true;
			break;
		}

		/* two-loop recursion: d = -H g */
		for (size_t i = 0; i < n; i++)
			d[i] = -g[i];
		for (int k = 0; k < stored; k++)
		{
			int			idx = (head - 1 - k + M) % M;

			alpha[idx] = rho[idx] * dot(S + idx * n, d, n);
			for (size_t i = 0; i < n; i++)
				d[i] -= alpha[idx] * Y[idx * n + i];
		}
		if (stored > 0)
		{
			int			last = (head - 1 + M) % M;
			double		gamma = dot(S + last * n, Y + last * n, n) /
				dot(Y + last * n, Y + last * n, n);

			for (size_t i = 0; i < n; i++)
				d[i] *= gamma;
		}
		for (int k = stored - 1; k >= 0; k--)
		{
			int			idx = (head - 1 - k + M) % M;
			double		beta = rho[idx] * dot(Y + idx * n, d, n);

			for (size_t i = 0; i < n; i++)
				d[i] += (alpha[idx] - beta) * S[idx * n + i];
		}
		gd = dot(g, d, n);
		if (!(gd < 0))
		{
			/* not a descent direction: restart from steepest descent */
			for (size_t i = 0; i < n; i++)
				d[i] = -g[i];
			gd = dot(g, d, n);
			stored = 0;
		}
		step = (stored == 0) ? fmin(1.0, 1.0 / sqrt(-gd)) : 1.0;

		/* Armijo backtracking */
		for (tries = 0; tries < 60; tries++)
		{
			for (size_t i = 0; i < n; i++)
				xn[i] = x[i] + step * d[i];
			fn = f(xn, gn, arg);
			if (isfinite(fn) && fn <= fx + 1e-4 * step * gd)
				break;
			step *= 0.5;
		}
		if (tries == 60)
		{
			/* no progress possible at machine precision: done */
			*converged = max_abs(g, n) <= tol * 10;
			f(x, g, arg);		/* leave the objective's side state at x */
			break;
		}

		/* update the (s, y) history; d is free now and holds s */
		{
			double		sy;

			for (size_t i = 0; i < n; i++)
			{
				d[i] = xn[i] - x[i];
				ynew[i] = gn[i] - g[i];
			}
			if (isnan(max_abs(gn, n)))
				ml_error(ML_ERR_DATA, "Rescale the features: some values are too large.",
						 "the training gradient is not finite");
			sy = dot(d, ynew, n);
			/* keep only pairs with positive curvature: H stays positive definite */
			if (sy > 1e-10 * sqrt(dot(d, d, n) * dot(ynew, ynew, n)))
			{
				memcpy(S + head * n, d, n * sizeof(double));
				memcpy(Y + head * n, ynew, n * sizeof(double));
				rho[head] = 1.0 / sy;
				head = (head + 1) % M;
				if (stored < M)
					stored++;
			}
		}
		memcpy(x, xn, n * sizeof(double));
		memcpy(g, gn, n * sizeof(double));
		if (on_iter)
			on_iter(iter + 1, x, fn, arg);
		if (fabs(fx - fn) <= 1e-16 * fmax(1.0, fabs(fx)) && max_abs(g, n) <= tol * 10)
		{
			fx = fn;
			*converged = true;
			iter++;
			break;
		}
		fx = fn;
	}
	if (iter >= max_iter && max_abs(g, n) <= tol)
		*converged = true;
	ml_free(g);
	ml_free(d);
	ml_free(xn);
	ml_free(gn);
	ml_free(S);
	ml_free(Y);
	ml_free(ynew);
	return iter;
}

void
linalg_gram_add_rows(const double *B, size_t n, size_t q, const double *y, double *G, double *v)
{
	int			in = to_int(n),
				iq = to_int(q);

	if (n == 0 || q == 0)
		return;
	/* B is n x q row-major, so q x n column-major: G += B^T B = (B^T)(B^T)^T */
	cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, iq, in, 1.0, B, iq, 1.0, G, iq);
	cblas_dgemv(CblasColMajor, CblasNoTrans, iq, in, 1.0, B, iq, y, 1, 1.0, v, 1);
}
