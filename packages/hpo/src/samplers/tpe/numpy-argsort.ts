// NumPy's default `np.argsort` (kind="quicksort": introsort, median-of-3 partitioning, insertion
// sort below 17 elements, heapsort past the depth limit), as numpy 1.24 runs it for float64
// (numpy/core/src/npysort/quicksort.cpp `aquicksort_`, heapsort.hpp `aheapsort_`). It is not
// stable, and the order it leaves equal values in matters to TPE: Optuna 3.1 gives each kernel
// the width of the larger gap to its sorted neighbours, so among equal centres (repeated integer
// or stepped values, or a value on the prior's centre) the sort order decides which one gets which
// width; that changes the density when their weights differ (past 25 observations) or one of them
// is the prior, whose width is then reset to the whole range.

const SMALL_QUICKSORT = 15;

/** NumPy's `less` for floats: NaN sorts last. */
function less(a: number, b: number): boolean {
  return a < b || (Number.isNaN(b) && !Number.isNaN(a));
}

/** Sifts `tmp` down from heap slot `start` of a heap of `n` (1-based: a[i] is idx[base + i]). */
function siftDown(
  v: ArrayLike<number>,
  idx: Uint32Array,
  base: number,
  tmp: number,
  start: number,
  n: number,
): void {
  let i = start;
  for (let j = start << 1; j <= n; ) {
    if (
      j < n &&
      less(v[idx[base + j] as number] as number, v[idx[base + j + 1] as number] as number)
    ) {
      j += 1;
    }
    if (!less(v[tmp] as number, v[idx[base + j] as number] as number)) break;
    idx[base + i] = idx[base + j] as number;
    i = j;
    j += j;
  }
  idx[base + i] = tmp;
}

/** numpy's `aheapsort_` on `idx[start .. start + n)`. */
function heapsort(v: ArrayLike<number>, idx: Uint32Array, start: number, n: number): void {
  const base = start - 1;
  for (let l = n >> 1; l > 0; --l) siftDown(v, idx, base, idx[base + l] as number, l, n);
  for (let m = n; m > 1; ) {
    const tmp = idx[base + m] as number;
    idx[base + m] = idx[base + 1] as number;
    m -= 1;
    siftDown(v, idx, base, tmp, 1, m);
  }
}

/** Indices that sort `v` ascending, in exactly the order `np.argsort(v)` (numpy 1.24) returns. */
export function numpyArgsort(v: ArrayLike<number>): Uint32Array {
  const num = v.length;
  const idx = new Uint32Array(num);
  for (let i = 0; i < num; i++) idx[i] = i;
  const swap = (a: number, b: number): void => {
    const t = idx[a] as number;
    idx[a] = idx[b] as number;
    idx[b] = t;
  };
  const at = (p: number): number => v[idx[p] as number] as number;
  const stack: number[] = [];
  const depths: number[] = [];
  let pl = 0;
  let pr = num - 1;
  let cdepth = num > 0 ? 2 * (31 - Math.clz32(num)) : 0;
  for (;;) {
    if (cdepth < 0) {
      heapsort(v, idx, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (less(at(pm), at(pl))) swap(pm, pl);
        if (less(at(pr), at(pm))) swap(pr, pm);
        if (less(at(pm), at(pl))) swap(pm, pl);
        const vp = at(pm);
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (less(at(pi), vp));
          do --pj;
          while (less(vp, at(pj)));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        // Push the larger partition, continue with the smaller one.
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = idx[pi] as number;
        const vp = v[vi] as number;
        let pj = pi;
        while (pj > pl && less(vp, at(pj - 1))) {
          idx[pj] = idx[pj - 1] as number;
          pj--;
        }
        idx[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop() as number;
    pl = stack.pop() as number;
    cdepth = depths.pop() as number;
  }
  return idx;
}
