/*-------------------------------------------------------------------------
 *
 * rng.h
 *	  The private random generator of a run, and the 64-bit mixer used to
 *	  hash rows.
 *
 * xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64, so every
 * random choice of a run is a pure function of its seed.  Never use rand()
 * or any other global generator in mlsql.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_RNG_H
#define ML_RNG_H

#include "ml.h"

typedef struct MLRng
{
	uint64_t	s[4];
} MLRng;

/* splitmix64 finalizer: a bijective 64-bit mixer */
static inline uint64_t
ml_mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static inline void
ml_rng_seed(MLRng *r, uint64_t seed)
{
	uint64_t	x = seed;

	for (int i = 0; i < 4; i++)
	{
		x = ml_mix64(x);
		r->s[i] = x;
	}
}

static inline uint64_t
ml_rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
ml_rng_next(MLRng *r)
{
	uint64_t   *s = r->s;
	uint64_t	result = ml_rotl64(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = ml_rotl64(s[3], 45);
	return result;
}

/* uniform double in [0, 1) with 53 random bits */
static inline double
ml_rng_uniform(MLRng *r)
{
	return (double) (ml_rng_next(r) >> 11) * 0x1.0p-53;
}

#endif							/* ML_RNG_H */
