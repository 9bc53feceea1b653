// Truncated standard normal helpers for the Parzen estimator: log CDF with a far-tail series,
// log probability mass of an interval, and inverse-CDF sampling that stays accurate in the tails.

import normal from '@stdlib/stats-base-dists-normal';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Standard normal CDF. */
export function ndtr(x: number): number {
  return normal.cdf(x, 0, 1);
}

/** log Φ(x), accurate from −∞ to +∞ (asymptotic series below −20, as Optuna/Cephes do). */
export function logNdtr(x: number): number {
  if (x > 6) return -ndtr(-x);
  if (x > -20) return Math.log(ndtr(x));
  const logLhs = -0.5 * x * x - Math.log(-x) - LOG_SQRT_2PI;
  let last = 0;
  let rhs = 1;
  let numerator = 1;
  let denomFactor = 1;
  const denomCons = 1 / (x * x);
  let sign = 1;
  for (let i = 1; Math.abs(last - rhs) > Number.EPSILON && i < 100; i++) {
    last = rhs;
    sign = -sign;
    denomFactor *= denomCons;
    numerator *= 2 * i - 1;
    rhs += sign * numerator * denomFactor;
  }
  return logLhs + Math.log(rhs);
}

/** log of the standard normal density. */
export function normLogPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

function logDiff(logP: number, logQ: number): number {
  return logP + Math.log1p(-Math.exp(logQ - logP));
}

/** log(Φ(b) − Φ(a)) for a ≤ b without cancellation in either tail. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

function logSumExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === Number.NEGATIVE_INFINITY) return m;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

// Acklam's rational approximation of the normal quantile (relative error ≈ 1e-9), used as the
// starting point of Newton steps on log Φ; written in terms of log p so it never underflows.
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [
  -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function poly(coef: readonly number[], x: number): number {
  let acc = 0;
  for (const c of coef) acc = acc * x + c;
  return acc;
}

function tailGuess(q: number): number {
  return poly(C, q) / (poly(D, q) * q + 1);
}

/** x with log Φ(x) = y (y ≤ 0). */
export function ndtriExp(y: number): number {
  if (y >= 0) return Number.POSITIVE_INFINITY;
  if (y === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  let x: number;
  if (y < Math.log(P_LOW)) {
    x = tailGuess(Math.sqrt(-2 * y));
  } else {
    const oneMinusP = -Math.expm1(y);
    if (oneMinusP < P_LOW) {
      x = -tailGuess(Math.sqrt(-2 * Math.log(oneMinusP)));
    } else {
      const q = Math.exp(y) - 0.5;
      const r = q * q;
      x = (poly(A, r) * q) / (poly(B, r) * r + 1);
    }
  }
  // Newton on log Φ(x) − y: d/dx log Φ(x) = φ(x)/Φ(x), well scaled even far in the tail.
  for (let i = 0; i < 3; i++) {
    const l = logNdtr(x);
    const step = (l - y) / Math.exp(normLogPdf(x) - l);
    if (!Number.isFinite(step)) break;
    x -= step;
  }
  return x;
}

/**
 * Quantile `q` ∈ [0, 1) of the standard normal truncated to [a, b]. Works on the side of the
 * interval away from the mode so that tail probabilities keep their precision.
 */
export function truncnormPpf(q: number, a: number, b: number): number {
  if (q === 0) return a;
  if (a < 0) {
    const logPhiX = logSumExp(logNdtr(a), Math.log(q) + logGaussMass(a, b));
    return ndtriExp(logPhiX);
  }
  const logPhiX = logSumExp(logNdtr(-b), Math.log1p(-q) + logGaussMass(a, b));
  return -ndtriExp(logPhiX);
}
