/*-------------------------------------------------------------------------
 *
 * linalg.h
 *	  Thin wrappers over OpenBLAS / LAPACK, and an L-BFGS minimizer.
 *
 * Matrices are column-major double, as BLAS and the dataset use them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_LINALG_H
#define ML_LINALG_H

#include "ml.h"

/* pin OpenBLAS's own thread pool (we set 1 per backend: see DESIGN.md) */
extern void linalg_set_threads(int n);

/* G (p x p, full) = X^T X for X n x p */
extern void linalg_gram(const double *X, size_t n, size_t p, double *G);

/*
 * G (q x q, upper triangle) += B^T B and v (q) += B^T y for a block B of n
 * rows stored row-major (n x q): the accumulation of sufficient statistics
 * a block of rows at a time, one BLAS-3 call per block
 */
extern void linalg_gram_add_rows(const double *B, size_t n, size_t q, const double *y,
								 double *G, double *v);

/* v (p) = X^T y */
extern void linalg_xty(const double *X, size_t n, size_t p, const double *y, double *v);

/* solve A x = b for symmetric positive definite A (p x p); A is overwritten,
 * b becomes x.  Returns false when A is not positive definite. */
extern bool linalg_solve_spd(double *A, double *b, size_t p);

/* minimum-norm least squares (LAPACK dgelsd): A is n x p (overwritten),
 * b has max(n, p) entries and its first p become the solution. */
extern void linalg_lstsq(double *A, size_t n, size_t p, double *b);

/* C (n x k) = A (n x p) * B (p x k), all column-major */
extern void linalg_gemm_nn(const double *A, size_t n, size_t p,
						   const double *B, size_t k, double *C);
/* C (p x k) = A^T (p x n) * B (n x k) */
extern void linalg_gemm_tn(const double *A, size_t n, size_t p,
						   const double *B, size_t k, double *C);

/*
 * L-BFGS (Nocedal 1980; Liu & Nocedal 1989) with an Armijo backtracking line
 * search, for smooth convex objectives.  f returns the objective at x and
 * writes its gradient.  Stops when max |gradient| <= tol or after max_iter
 * iterations; on_iter (may be NULL) is called with the new point after each
 * accepted step and may log metrics.  Interrupts are checked every iteration.  Memory: O(m n).
 * Returns the number of iterations run.
 */
typedef double (*MLObjective) (const double *x, double *grad, void *arg);
typedef void (*MLIterHook) (int iter, const double *x, double fx, void *arg);

extern int	lbfgs_minimize(MLObjective f, MLIterHook on_iter, void *arg,
						   double *x, size_t n, int max_iter, double tol,
						   bool *converged);

#endif							/* ML_LINALG_H */
