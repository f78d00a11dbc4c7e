"""Issue 17 study: what the coordination-dependent energy (docs/energy_model.md) costs a kMC engine.

Two measurements on a periodic BCC box (numba, one thread), neither is the engine itself:
1. ns to compute the 8 hop rates of one vacancy
   - table:  the shipped bulk path (rate read from a table indexed by the two ends' counts);
   - FS:     the recommended form: pair part from the counts table, embedding from per-neighbour
             lookups F[species][n] over the other 7 neighbours of each end, exp memoised on the
             bits of the barrier (the engine's _boltzmann cache).
2. how many vacancies an event's refresh must visit: vacancies within 2 steps of the two changed
   sites (the shipped reach) against 3 steps (the new one), in a dilute box and around a void.

    python benchmarks/energy_form_cost.py
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kmc.rates import barrier_eV  # noqa: E402
from lattices import build_bcc  # noqa: E402

VAC, LI, MG = 0, 1, 2
CACHE = 4096


# Site words as in the engine: species in bits 0-3, Li count in 4-7, Mg count in 8-11 (one read
# gives a site's species and its metal count).
@njit(cache=False)
def rates_table(vacs, word, nbr, table):
    tot = 0.0
    for v in vacs:
        wv = word[v]
        for d in range(8):
            wj = word[nbr[v, d]]
            x = wj & 15
            if x == VAC:
                continue
            tot += table[x, ((wv >> 4) & 15) - ((wj >> 4) & 15) + 8, (wv >> 8) & 15, (wj >> 8) & 15]
    return tot


@njit(cache=False)
def rates_fs(vacs, word, nbr, pair_dE, F_plus, F_minus, own, kra, inv_kT, nu, cache_key, cache_val):
    tot = 0.0
    for v in vacs:
        wv = word[v]
        nv = ((wv >> 4) & 15) + ((wv >> 8) & 15)
        s_plus = 0.0                      # what v's neighbours gain, once per vacancy
        for e in range(8):
            wk = word[nbr[v, e]]
            s_plus += F_plus[wk & 15, ((wk >> 4) & 15) + ((wk >> 8) & 15)]
        for d in range(8):
            j = nbr[v, d]
            wj = word[j]
            x = wj & 15
            if x == VAC:
                continue
            nj = ((wj >> 4) & 15) + ((wj >> 8) & 15)
            dE = pair_dE[x, ((wv >> 4) & 15) - ((wj >> 4) & 15) + 8, ((wv >> 8) & 15) - ((wj >> 8) & 15) + 8]
            dE += s_plus - F_plus[x, nj]  # j itself is not one of v's gaining neighbours
            for e in range(8):
                k = nbr[j, e]
                if k != v:
                    wk = word[k]
                    dE += F_minus[wk & 15, ((wk >> 4) & 15) + ((wk >> 8) & 15)]
            dE += own[x, nv - 1] - own[x, nj]
            ea = barrier_eV(dE, kra)   # the one barrier rule (kmc.rates)
            bits = np.int64(np.float64(ea).view(np.int64))
            h = (bits ^ (bits >> 29) ^ (bits >> 41)) & (CACHE - 1)
            if cache_key[h] == bits:
                r = cache_val[h]
            else:
                r = nu * math.exp(-ea * inv_kT)
                cache_key[h] = bits
                cache_val[h] = r
            tot += r
    return tot


def words(occ, nbr):
    li = (occ[nbr] == LI).sum(1).astype(np.int64)
    mg = (occ[nbr] == MG).sum(1).astype(np.int64)
    return occ.astype(np.int64) | (li << 4) | (mg << 8)


def ball(nbr, seeds, r):
    s = set(seeds)
    front = set(seeds)
    for _ in range(r):
        new = {int(y) for x in front for y in nbr[x] if y not in s}
        s |= new
        front = new
    return s


def main():
    lat = build_bcc((40, 40, 40), "001", 3.51, periodic_z=True)   # 128,000 sites
    nbr = lat.neighbors.astype(np.int64)
    n = lat.n_sites
    rng = np.random.default_rng(1)
    occ = np.where(rng.random(n) < 0.03, MG, LI).astype(np.int64)
    eps, V = 0.716, 0.1367
    # tables (values are the recommended parameters' magnitudes; timing does not depend on them)
    table = rng.random((3, 17, 9, 9))
    pair_dE = rng.random((3, 17, 17)) * 0.01
    F_plus = np.zeros((3, 9))
    F_minus = np.zeros((3, 9))
    own = np.zeros((3, 9))
    for s, e in ((LI, eps), (MG, 0.65)):
        for m in range(9):
            F_plus[s, m] = -e * (math.sqrt(min(m + 1, 8)) - math.sqrt(m))
            F_minus[s, m] = -e * (math.sqrt(max(m - 1, 0)) - math.sqrt(m))
            own[s, m] = -e * math.sqrt(m) + 0.5 * V * m
    cache_key = np.full(CACHE, -1, np.int64)
    cache_val = np.zeros(CACHE)
    kT = 8.617333262e-5 * 298.0

    cases = {}
    # dilute: 1e-3 vacancies at random
    occ_d = occ.copy()
    vd = rng.choice(n, n // 1000, replace=False)
    occ_d[vd] = VAC
    cases["dilute (1e-3)"] = (occ_d, np.flatnonzero(occ_d == VAC))
    # void: a 10x10x6-layer block emptied; rates of its surface vacancies
    occ_v = occ.copy()
    spl = lat.sites_per_layer
    block = [L * spl + iy * 40 + ix for L in range(20, 26) for iy in range(10, 20) for ix in range(10, 20)]
    occ_v[block] = VAC
    w = words(occ_v, nbr)
    surf = np.array([s for s in block if (w[s] >> 4) & 255])
    cases["void surface"] = (occ_v, surf)

    print(f"{'configuration':16s} {'vacancies':>9s} {'table ns/vac':>13s} {'FS ns/vac':>10s} {'ratio':>6s}")
    for name, (o, vacs) in cases.items():
        w = words(o, nbr)
        rates_table(vacs[:10], w, nbr, table)
        rates_fs(vacs[:10], w, nbr, pair_dE, F_plus, F_minus, own, 0.055, 1 / kT, 1e13, cache_key, cache_val)
        reps = max(1, 2_000_000 // max(len(vacs), 1))

        def best_of_5(f):   # the machine is shared: the fastest of 5 timings
            t = []
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(reps):
                    f()
                t.append((time.perf_counter() - t0) / reps / len(vacs) * 1e9)
            return min(t)
        t_tab = best_of_5(lambda: rates_table(vacs, w, nbr, table))
        t_fs = best_of_5(lambda: rates_fs(vacs, w, nbr, pair_dE, F_plus, F_minus, own, 0.055, 1 / kT, 1e13,
                                          cache_key, cache_val))
        print(f"{name:16s} {len(vacs):9d} {t_tab:13.1f} {t_fs:10.1f} {t_fs / t_tab:6.1f}")

    print("\nvacancies an event's refresh visits (hop between a void-surface vacancy and its atom):")
    print(f"{'configuration':16s} {'2 steps (now)':>14s} {'3 steps (FS)':>13s}")
    for name, (o, vacs) in cases.items():
        picks = rng.choice(vacs, min(200, len(vacs)), replace=False)
        n2, n3 = [], []
        for v in picks:
            js = [int(j) for j in nbr[v] if o[j] != VAC]
            if not js:
                continue
            j = js[0]
            n2.append(sum(1 for s in ball(nbr, [v, j], 2) if o[s] == VAC))
            n3.append(sum(1 for s in ball(nbr, [v, j], 3) if o[s] == VAC))
        print(f"{name:16s} {np.mean(n2):14.1f} {np.mean(n3):13.1f}")


if __name__ == "__main__":
    main()
