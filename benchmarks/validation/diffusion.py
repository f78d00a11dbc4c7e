"""Diffusion validation: tracer correlation factor of pure Li, Mg and Li tracer diffusivities.

    python benchmarks/validation/diffusion.py                  # everything (~6 min on one core)
    python benchmarks/validation/diffusion.py --quick          # fewer events (~1 min), wider error bars
    python benchmarks/validation/diffusion.py --parts a        # only the correlation factor (a, b, c)
    python benchmarks/validation/diffusion.py --figure docs/diffusion.png --json out.json

Prints one row per check (measured, error bar, target, verdict) and then the same as JSON.

(a) Correlation factor, pure bulk Li with exactly one vacancy, every atom traced:
    f = sum R^2 / (lambda^2 sum n_jumps), lambda^2 = 3a^2/4.  Target: Compaan & Haven's BCC value
    0.72719.  The exact value for the finite periodic box (one vacancy in N sites) is computed
    here too, from the absorbing Markov chain of the vacancy around the tracer (see
    ``exact_correlation_factor``); its N -> infinity limit reproduces 0.72719, and the kMC is
    compared with both.
(b) Mg tracer diffusivity in dilute bulk Li-Mg (one vacancy, Mg traced) at 25 and 60 C, rescaled
    from the box's vacancy concentration to the physical one, against the seed's DFT values and
    the model's own analytical expectation; effective activation energy from the two temperatures.
(c) Li tracer diffusivity in pure Li at 25 C, the same way (docs/physics.md gives no measured value).

Error bars are one standard error of the mean over independent seeds (independent boxes and
trajectories).  Blocks of one trajectory are also nearly independent (see ``block_sums``), and the
block scatter is printed beside the seed scatter as a cross-check.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, mean_sem  # noqa: E402

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from kmc import units  # noqa: E402
from kmc.config import load_config  # noqa: E402
from kmc.model import box_vacancy_equilibrium_fraction, build_energy_model  # noqa: E402
from kmc.rate_rules import fill_barriers_eV, kra_eV  # noqa: E402
from kmc.species import HOST, SOLUTE, VACANCY  # noqa: E402
from kmc.simulation import Simulation  # noqa: E402
from lattices import build_bcc  # noqa: E402

LI_PARAMS = ROOT / "params" / "li_li2s.toml"
LIMG_PARAMS = ROOT / "params" / "limg_li2s.toml"
F_BCC = 0.72719                      # Compaan & Haven (1956), vacancy mechanism in BCC
T25, T60 = 298.15, 333.15
DFT_D_MG_CM2_S = {T25: 2.06e-13, T60: 2.42e-12}   # docs/physics.md section 2 (seed 004)
SCRIPT = "python benchmarks/validation/diffusion.py"


# ----------------------------------------------------------------------------- set-up
def bulk_overrides(cells: int, temperature_K: float, mg_fraction: float, seed: int,
                   tracer_species: str, n_tracers: int) -> list[str]:
    """Closed periodic bulk box with exactly one vacancy: no stripping, creep or boundary events.

    initial_occupancy puts round(vacancy_fraction * N) vacancies in the box; 1/N gives exactly 1
    (the caller asserts it).
    """
    n_sites = 2 * cells ** 3
    return ["lattice.geometry=bulk", f"lattice.cells=[{cells},{cells},{cells}]",
            f"composition.vacancy_fraction={1.0 / n_sites!r}", f"composition.solute_fraction={mg_fraction!r}",
            f"conditions.temperature_K={temperature_K!r}", "conditions.current_density_mA_cm2=0",
            "conditions.stack_pressure_MPa=0", "boundary.bottom=closed", "run.stop_stripped_mAh_cm2=0",
            "run.max_events=1", f"run.seed={seed}", f"tracers.count={n_tracers}",
            f"tracers.species={tracer_species}"]


def make_bulk_sim(params: Path, cells: int, temperature_K: float, mg_fraction: float, seed: int,
                  tracer_species: str) -> Simulation:
    """One-vacancy bulk box with every atom of ``tracer_species`` ('all', 'Li' or 'Mg') traced."""
    n_sites = 2 * cells ** 3
    n_mg = int(round(mg_fraction * (n_sites - 1)))      # as initial_occupancy counts them
    n_tr = {"all": n_sites - 1, "Li": n_sites - 1 - n_mg, "Mg": n_mg}[tracer_species]
    sim = Simulation(load_config(params, bulk_overrides(cells, temperature_K, mg_fraction, seed,
                                                        tracer_species, n_tr)))
    n_vac = int(np.count_nonzero(sim.occupancy == VACANCY))
    if n_vac != 1:
        raise RuntimeError(f"expected exactly one vacancy in the box, got {n_vac}")
    return sim


def lambda2_A2(lattice) -> float:
    """Squared first-neighbour jump length, 3a^2/4."""
    return float((lattice.neighbor_vectors_A[0] ** 2).sum())


@dataclass
class Series:
    """Tracer displacements recorded at (nearly) equal kMC-time intervals."""
    t: np.ndarray        # (k+1,) kMC time of each snapshot, s
    R: np.ndarray        # (k+1, n_tracers, 3) displacement since the start, angstrom
    n: np.ndarray        # (k+1, n_tracers) jumps since the start
    events: int
    probe: np.ndarray | None = None   # (k+1,) a quantity evaluated at each snapshot


def record(sim: Simulation, dt_s: float, n_intervals: int, equilibrate_events: int = 0,
           probe=None) -> Series:
    """Run ``n_intervals`` kMC-time intervals of ``dt_s``, snapshotting tracer displacements
    (and ``probe(sim)`` at every snapshot, if given).

    The first ``equilibrate_events`` let the vacancy relax from its random start (uniform over
    sites, not Boltzmann-weighted near Mg) before the first snapshot.
    """
    if equilibrate_events:
        sim.step(equilibrate_events)
    t = [sim.time_s]
    R = [sim.tracer_displacements_A()]
    n = [sim.tracer_jump_counts()]
    p = [probe(sim)] if probe else []
    ev0 = sim.events
    for k in range(1, n_intervals + 1):
        reason = sim.step(1 << 62, t_stop=t[0] + k * dt_s)
        if reason != "time":
            raise RuntimeError(f"run stopped early: {reason}")
        t.append(sim.time_s)
        R.append(sim.tracer_displacements_A())
        n.append(sim.tracer_jump_counts())
        if probe:
            p.append(probe(sim))
    return Series(np.array(t), np.array(R), np.array(n), sim.events - ev0, np.array(p))


def block_sums(s: Series, m: int):
    """Per non-overlapping block of m intervals: (sum_i |dR_i|^2, sum_i dn_i, dt).

    Consecutive blocks of one trajectory are correlated only through jump pairs that straddle
    a boundary (the correlation the block misses, which is also the block's bias), so for blocks
    many jumps long they are nearly independent samples.
    """
    ends = np.arange(0, s.t.size, m)
    dR = np.diff(s.R[ends], axis=0)
    r2 = (dR ** 2).sum(axis=(1, 2))
    dn = np.diff(s.n[ends], axis=0).sum(axis=1)
    return r2, dn, np.diff(s.t[ends])


def block_expected_jumps(s: Series, m: int, n_tracers: int) -> np.ndarray:
    """Per block of m intervals: jumps expected from the per-tracer jump frequency in
    ``s.probe`` (trapezoid in time over the snapshots), for the block-paired comparison."""
    per_interval = 0.5 * (s.probe[1:] + s.probe[:-1]) * np.diff(s.t) * n_tracers
    cum = np.concatenate([[0.0], np.cumsum(per_interval)])
    return np.diff(cum[np.arange(0, s.t.size, m)])


def ratio_block_sem(num: np.ndarray, den: np.ndarray) -> float:
    """Standard error of sum(num)/sum(den) from independent blocks (delta method)."""
    q = num.sum() / den.sum()
    k = num.size
    resid = num - q * den
    return float(math.sqrt(k / (k - 1) * (resid ** 2).sum()) / den.sum())


# ----------------------------------------------------------------------------- exact / analytic
def vacancy_neighbour_eV(model) -> np.ndarray:
    """Per species x, the embedding change of a bulk atom x that has the single vacancy as a
    neighbour (7 metal neighbours instead of 8): F_x(7) - F_x(8); zero for the bond form.  With
    one vacancy every other atom has 8 or 7 metal neighbours, so the embedding acts as a
    vacancy-atom pair energy of this size (docs/energy_model.md)."""
    f = model.embed_eV[:, 0, :]
    return f[:, 7] - f[:, 8]


def hop_rates_one_vacancy(model, lattice, atoms: np.ndarray):
    """rate[s, d]: the atom at n = nbr[s, d] hops into a vacancy at s, every other site holding
    ``atoms`` (no vacancy anywhere else).  Bulk terms only.  From the model's pair and embedding
    tables, KRA values and barrier rule, not from engine code.  Rows of sites holding Mg are
    meaningless (no vacancy can sit there in the one-vacancy state space) and must be masked by
    the caller.
    """
    nbr = lattice.neighbors.astype(np.intp)
    pair = model.pair_eV[0]
    vac = vacancy_neighbour_eV(model)
    kra = model.kra_eV
    occ = atoms.astype(np.intp)
    s = np.arange(lattice.n_sites)[:, None]
    y = occ[nbr]                                            # species of the mover, (N, 8)
    # bonds the mover makes around s (except with n, which becomes vacant) minus those it had
    # around n (except with s, which is vacant); the atoms around s stop being next to the
    # vacancy, those around n start (the mover itself has 7 metal neighbours before and after)
    gain = pair[y[:, :, None], occ[nbr][:, None, :]].sum(2) - pair[y, y]
    loss = pair[y[:, :, None], occ[nbr[nbr]]].sum(2) - pair[y, occ[s]]
    gain -= vac[occ[nbr]].sum(1)[:, None] - vac[y]
    loss -= vac[occ[nbr[nbr]]].sum(2) - vac[occ[s]]
    dE = gain - loss
    mg_at_s = (occ[nbr] == SOLUTE).sum(1)[:, None] - (y == SOLUTE)
    mg_at_n = (occ[nbr[nbr]] == SOLUTE).sum(2) - (occ[s] == SOLUTE)
    ea = np.empty(dE.size)
    fill_barriers_eV(y.astype(np.int64).ravel(), ((mg_at_s > 0) | (mg_at_n > 0)).ravel(),
                     dE.astype(np.float64).ravel(), kra, ea)
    return model.hop_prefactor_Hz * np.exp(-ea.reshape(dE.shape) / model.kT_eV)


def vacancy_weights(model, lattice, atoms: np.ndarray) -> np.ndarray:
    """Boltzmann weight of the single vacancy on each site (0 where an Mg sits): a vacancy at s
    costs the bonds the Li there had and its neighbours' embedding change, so
    exp(+sum (pair + vacancy_neighbour_eV)/kT) up to a constant."""
    nbr = lattice.neighbors.astype(np.intp)
    around = atoms.astype(np.intp)[nbr]
    e = -(model.pair_eV[0][HOST][around] - vacancy_neighbour_eV(model)[around]).sum(1)
    ok = atoms != SOLUTE
    w = np.zeros(lattice.n_sites)
    w[ok] = np.exp(-(e[ok] - e[ok].min()) / model.kT_eV)
    return w


def _cg(matvec, b, tol=1e-12, maxiter=100_000):
    """Conjugate gradients for a symmetric positive definite operator (numpy only)."""
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rs = r @ r
    stop = tol ** 2 * (b @ b)
    for _ in range(maxiter):
        ap = matvec(p)
        alpha = rs / (p @ ap)
        x += alpha * p
        r -= alpha * ap
        rs_new = r @ r
        if rs_new <= stop:
            return x
        p = r + (rs_new / rs) * p
        rs = rs_new
    raise RuntimeError("conjugate gradients did not converge")


def exact_correlation_factor(model, cells: int, a_A: float, species: int = HOST) -> tuple[float, float]:
    """Tracer correlation factor of one atom of ``species`` in an otherwise pure-Li periodic box of
    2*cells^3 sites with one vacancy, exactly (no sampling).  Returns (f, <cos theta>).

    After the tracer jumps along e, the vacancy sits at -e from it.  The vacancy then walks
    (continuous-time, the model's rates, the tracer fixed at the origin) until it exchanges with
    the tracer, which then jumps along e'.  g(s) = E[e.e'/lambda^2 | vacancy at s] solves
    sum_n k(s,n) (g_n - g_s) + k(s,0) (b_s - g_s) = 0; multiplied by the vacancy's Boltzmann
    weight the matrix is symmetric (detailed balance), so conjugate gradients solves it.  By cubic
    symmetry E[e_{k+1} | e_k] = <cos theta> e_k, so the directions form a chain with
    <e_k . e_{k+m}> = lambda^2 <cos theta>^m and f = (1 + <cos>)/(1 - <cos>) exactly.
    """
    lat = build_bcc([cells] * 3, "001", a_A, periodic_z=True)
    nbr = lat.neighbors.astype(np.intp)
    nv = lat.neighbor_vectors_A
    atoms = np.full(lat.n_sites, HOST, np.int8)
    atoms[0] = species
    w = vacancy_weights(model, lat, atoms)
    w[0] = 0.0                                              # the tracer's own site
    rate = hop_rates_one_vacancy(model, lat, atoms)
    W = w[:, None] * rate
    W /= W.max()
    inner = (nbr != 0) & (w[:, None] > 0)
    if not np.allclose(W[inner], W[nbr, lat.opposite_slot[None, :]][inner], rtol=1e-9, atol=0):
        raise AssertionError("rates do not obey detailed balance")   # symmetric only if they do
    lam2 = lambda2_A2(lat)
    d0 = 0
    # absorbed from s through slot d (nbr[s, d] == 0): the tracer jumps by -nv[d]
    b = np.where(nbr == 0, W * ((-nv) @ nv[d0]) / lam2, 0.0).sum(1)
    diag = W.sum(1)
    diag[0] = 1.0

    def matvec(g):
        out = diag * g - (W * g[nbr]).sum(1)
        out[0] = g[0]
        return out

    g = _cg(matvec, b)
    cos = float(g[nbr[0, lat.opposite_slot[d0]]])
    return (1 + cos) / (1 - cos), cos


def jump_frequency_one_vacancy(model, lattice, occupancy: np.ndarray, species: int) -> float:
    """Mean jumps per second of one atom of ``species`` in a box with one vacancy, at equilibrium
    over the vacancy's position (Boltzmann over the non-Mg sites) for this arrangement of Mg."""
    atoms = np.where(occupancy == VACANCY, HOST, occupancy).astype(np.int8)
    w = vacancy_weights(model, lattice, atoms)
    rate = hop_rates_one_vacancy(model, lattice, atoms)
    mover = atoms[lattice.neighbors]
    flux = (w[:, None] * np.where(mover == species, rate, 0.0)).sum() / w.sum()
    return float(flux / np.count_nonzero(occupancy == species))


def far_field_vacancy_fraction(model, lattice, occupancy: np.ndarray) -> float:
    """Probability that the single vacancy sits on one given site with no Mg neighbour."""
    atoms = np.where(occupancy == VACANCY, HOST, occupancy).astype(np.int8)
    w = vacancy_weights(model, lattice, atoms)
    return float(w.max() / w.sum())      # the largest weight is that of a site with no Mg around


def mg_vacancy_repulsion_eV(model) -> float:
    """Extra energy of a vacancy with one Mg first neighbour instead of a Li: phi_LiMg - phi_LiLi
    for the bond form, plus the difference of the two species' embedding change next to it."""
    vac = vacancy_neighbour_eV(model)
    return float(model.pair_eV[0, HOST, HOST] - model.pair_eV[0, HOST, SOLUTE] + vac[SOLUTE] - vac[HOST])


def divacancy_binding_eV(model, lattice) -> float:
    """E(two separate vacancies) - E(two adjacent ones) in pure Li, from the model's total energy."""
    occ = np.full(lattice.n_sites, HOST, np.int8)
    far = int(lattice.n_sites // 2 + lattice.sites_per_layer // 2 + 3)
    occ[0] = VACANCY
    occ[far] = VACANCY
    e_far = model.total_energy(occ, lattice)
    occ[far] = HOST
    occ[lattice.neighbors[0, 0]] = VACANCY
    return e_far - model.total_energy(occ, lattice)


def verdict(x: float, err: float, target: float, target_err: float = 0.0, k: float = 3.0) -> str:
    z = abs(x - target) / math.hypot(err, target_err) if (err or target_err) else math.inf
    return f"match ({z:.1f} sigma)" if z <= k else f"DIFFERS ({z:.1f} sigma)"


# ----------------------------------------------------------------------------- (a) + (c)
def part_a(quick: bool, seeds: int, log):
    """Correlation factor in pure Li (and, from the same runs, D_Li at 25 C)."""
    settings = load_config(LI_PARAMS, bulk_overrides(4, T25, 0.0, 1, "all", 0))
    a = settings.lattice.lattice_constant_A
    model = build_energy_model(settings, build_bcc([4] * 3, "001", a, periodic_z=True))
    out = {"exact_f": {}, "boxes": {}}
    # exact f(N), and its large-N limit by linear extrapolation in 1/N
    for L in ((4, 8, 16) if quick else (4, 8, 16, 24, 32)):
        out["exact_f"][2 * L ** 3] = exact_correlation_factor(model, L, a)[0]
    n_big = sorted(out["exact_f"])[-2:]
    f1, f2 = out["exact_f"][n_big[0]], out["exact_f"][n_big[1]]
    f_inf = f2 - (f1 - f2) * (1 / n_big[1]) / (1 / n_big[0] - 1 / n_big[1])
    out["exact_f_inf"] = f_inf
    log("exact f(N): " + ", ".join(f"N={n}: {f:.6f}" for n, f in out["exact_f"].items())
        + f"; extrapolated N->inf: {f_inf:.6f} (Compaan & Haven {F_BCC})")

    gamma = model.hop_prefactor_Hz * math.exp(-model.kra_eV[0] / model.kT_eV)
    events = 1_500_000 if quick else 8_000_000
    snap_jumps = 25                    # jumps per atom between snapshots
    block_m = (1, 4, 16)               # blocks of 25, 100, 400 jumps per atom
    for cells in (4, 8):
        n_sites = 2 * cells ** 3
        lam2 = None
        per_seed = {m: [] for m in block_m}
        block_f = {m: [] for m in block_m}
        n_tr = 0
        d_seed, d_blocks = [], []
        t0 = time.perf_counter()
        for seed in range(1, seeds + 1):
            sim = make_bulk_sim(LI_PARAMS, cells, T25, 0.0, seed, "all")
            lam2 = lambda2_A2(sim.lattice)
            # pure Li: every event is a hop at 8*gamma in total, so a time interval is an event count
            dt = snap_jumps * (n_sites - 1) / (8 * gamma)
            ser = record(sim, dt, int(events / (snap_jumps * (n_sites - 1))))
            for m in block_m:
                r2, dn, dtb = block_sums(ser, m)
                per_seed[m].append(r2.sum() / (lam2 * dn.sum()))
                block_f[m].append((r2, dn))
            r2, dn, dtb = block_sums(ser, block_m[-1])
            n_tr = ser.R.shape[1]
            d_seed.append(r2.sum() / (6 * n_tr * dtb.sum()))
            d_blocks.append((r2, 6 * n_tr * dtb))
        wall = time.perf_counter() - t0
        res = {"n_sites": n_sites, "seeds": seeds, "events_per_seed": events, "wall_s": wall,
               "exact_f_box": out["exact_f"].get(n_sites) or exact_correlation_factor(model, cells, a)[0]}
        for m in block_m:
            f, err = mean_sem(per_seed[m])
            r2 = np.concatenate([x[0] for x in block_f[m]])
            dn = np.concatenate([x[1] for x in block_f[m]])
            res[f"f_blocks_{snap_jumps * m}"] = {"f": f, "sem_seeds": err,
                                                "sem_blocks": ratio_block_sem(r2, lam2 * dn),
                                                "n_blocks": int(r2.size)}
        main = res[f"f_blocks_{snap_jumps * block_m[-1]}"]
        # error bar: the larger of the seed scatter (strictly independent) and the block scatter
        res["f"], res["f_err"] = main["f"], max(main["sem_seeds"], main["sem_blocks"])
        # the cos<theta> chain gives, for a fixed n jumps, a surplus of -2c(1-c^n)/((1-c)^2 n)
        # upper bound: for a fixed n jumps the <cos theta> chain misses 2|c|/((1-c)^2 n) (time
        # windows cut mostly the long gaps between visits of the vacancy, so less in practice)
        c = (F_BCC - 1) / (F_BCC + 1)
        res["block_bias_bound"] = -2 * c / (1 - c) ** 2 / (snap_jumps * block_m[-1])
        dk, dk_err = mean_sem(d_seed)
        dk_err_blocks = ratio_block_sem(np.concatenate([b[0] for b in d_blocks]),
                                        np.concatenate([b[1] for b in d_blocks]))
        res["D_kmc_A2_s"], res["D_kmc_err"] = dk, max(dk_err, dk_err_blocks)
        res["D_kmc_analytic_A2_s"] = lam2 / 6 * 8 * gamma / (n_sites - 1) * res["exact_f_box"]
        out["boxes"][n_sites] = res
        log(f"(a) N={n_sites}: f = {res['f']:.5f} +- {res['f_err']:.5f} (seed scatter {main['sem_seeds']:.5f}, "
            f"block scatter {main['sem_blocks']:.5f}), exact for this box {res['exact_f_box']:.5f}; "
            f"finite-run bias bound at 400 jumps/block {res['block_bias_bound']:.5f}; "
            + ", ".join(f"{snap_jumps * m} jumps/block: {res[f'f_blocks_{snap_jumps * m}']['f']:.5f}"
                        for m in block_m) + f"  [{wall:.0f} s]")
    out["gamma_li_Hz"] = gamma
    out["lambda2_A2"] = lam2
    out["model"] = model
    out["settings"] = settings
    return out


# ----------------------------------------------------------------------------- (b)
def mg_run(temperature_K: float, mg_fraction: float, cells: int, seeds: int, events: int, log,
           snap_jumps: float = 2.0, block_m=(5, 25)):
    """Mg tracer diffusion in one-vacancy Li-Mg boxes at one temperature, ``seeds`` replicas."""
    n_sites = 2 * cells ** 3
    res = {"T": temperature_K, "mg_fraction": mg_fraction, "n_sites": n_sites, "seeds": seeds,
           "events_per_seed": events}
    per_seed = {m: {"D": [], "f": []} for m in block_m}
    blocks = {m: [] for m in block_m}
    nu_analytic, nu_measured, c_far_ratio, msd_curves = [], [], [], []
    t0 = time.perf_counter()
    for seed in range(1, seeds + 1):
        sim = make_bulk_sim(LIMG_PARAMS, cells, temperature_K, mg_fraction, seed, "Mg")
        model, lat = sim.model, sim.lattice
        lam2 = lambda2_A2(lat)
        nu0 = jump_frequency_one_vacancy(model, lat, sim.occupancy, SOLUTE)
        # events per second: roughly the far-field vacancy's 8 Li hops
        gamma_li = model.hop_prefactor_Hz * math.exp(-model.kra_eV[0] / model.kT_eV)
        dt = snap_jumps / nu0
        n_int = max(int(events / (8 * gamma_li * dt)), 2 * max(block_m))
        # the analytical Mg jump frequency for the Mg arrangement of every snapshot: the Mg move,
        # and the frequency depends on how many Mg have Mg neighbours
        ser = record(sim, dt, n_int, equilibrate_events=200_000,
                     probe=lambda sm: jump_frequency_one_vacancy(sm.model, sm.lattice, sm.occupancy, SOLUTE))
        n_mg = ser.R.shape[1]
        span = ser.t[-1] - ser.t[0]
        nu_analytic.append(float(block_expected_jumps(ser, ser.t.size - 1, n_mg).sum() / (n_mg * span)))
        nu_measured.append(float((ser.n[-1] - ser.n[0]).sum() / (n_mg * span)))
        c_far_ratio.append(far_field_vacancy_fraction(model, lat, sim.occupancy) * n_sites)
        for m in block_m:
            r2, dn, dtb = block_sums(ser, m)
            per_seed[m]["D"].append(r2.sum() / (6 * n_mg * dtb.sum()))
            per_seed[m]["f"].append(r2.sum() / (lam2 * dn.sum()))
            blocks[m].append((r2, dn, dtb, block_expected_jumps(ser, m, n_mg)))
        # MSD(tau) over all time origins, for the figure; lags up to 20 jumps per Mg, so that
        # every point averages over many independent windows
        lags = np.arange(1, min(11, ser.t.size - 1))
        msd = [((ser.R[k:] - ser.R[:-k]) ** 2).sum(2).mean() for k in lags]
        msd_curves.append((lags * dt, np.array(msd)))
    res["wall_s"] = time.perf_counter() - t0
    res["n_mg"] = n_mg
    res["lambda2_A2"] = lam2
    for m in block_m:
        D, D_err = mean_sem(per_seed[m]["D"])
        f, f_err = mean_sem(per_seed[m]["f"])
        r2 = np.concatenate([b[0] for b in blocks[m]])
        dn = np.concatenate([b[1] for b in blocks[m]])
        dtb = np.concatenate([b[2] for b in blocks[m]])
        res[f"blocks_{m}"] = {"jumps_per_mg": snap_jumps * m, "D_kmc_A2_s": D, "D_err_seeds": D_err,
                              "D_err_blocks": ratio_block_sem(r2, 6 * n_mg * dtb), "f_mg": f,
                              "f_err_seeds": f_err, "f_err_blocks": ratio_block_sem(r2, lam2 * dn),
                              "nu_err_blocks": ratio_block_sem(dn, n_mg * dtb), "n_blocks": int(r2.size)}
        # paired with the analytical expectation block by block, so the slow drift of the Mg
        # arrangement (which changes both alike) drops out of the comparison's error
        expect = np.concatenate([b[3] for b in blocks[m]])
        res[f"blocks_{m}"]["jumps_over_analytic"] = float(dn.sum() / expect.sum())
        res[f"blocks_{m}"]["jumps_over_analytic_err"] = ratio_block_sem(dn, expect)
        res[f"blocks_{m}"]["r2_over_lam2_expected"] = float(r2.sum() / (lam2 * expect.sum()))
        res[f"blocks_{m}"]["r2_over_lam2_expected_err"] = ratio_block_sem(r2, lam2 * expect)
    res["main_block"] = block_m[0]
    main = res[f"blocks_{block_m[0]}"]
    # error bar: the larger of the seed scatter (strictly independent, but only a few seeds)
    # and the block scatter (many blocks, nearly independent)
    res["D_kmc_A2_s"], res["D_kmc_err"] = main["D_kmc_A2_s"], max(main["D_err_seeds"], main["D_err_blocks"])
    res["f_mg"], res["f_mg_err"] = main["f_mg"], max(main["f_err_seeds"], main["f_err_blocks"])
    res["nu_mg_analytic_Hz"], _ = mean_sem(nu_analytic)
    res["nu_mg_measured_Hz"], nu_err = mean_sem(nu_measured)
    res["nu_mg_measured_err"] = max(nu_err, main["nu_err_blocks"])
    res["far_over_box"] = float(np.mean(c_far_ratio))
    res["msd"] = msd_curves
    res["model"] = model
    res["cells"] = cells
    return res


def analytic_mg(model, lattice_cells: int, a_A: float, c_eq: float) -> dict:
    """The model's dilute-limit Mg diffusivity: D = (1/6) z lambda^2 Gamma_Mg c_v1 f_Mg.

    z = 8 first neighbours, Gamma_Mg = nu exp(-E_kra,Mg/kT) (no energy change for an Mg hop with
    Li all around), c_v1 = c_eq exp(-eps/kT) with eps the Mg-vacancy first-neighbour repulsion,
    f_Mg exact for one Mg (``exact_correlation_factor`` on a large box).
    """
    lam2 = 0.75 * a_A ** 2
    gamma = model.hop_rate(0.0, kra_eV(SOLUTE, False, model.kra_eV))   # dE = 0: Li all around
    eps = mg_vacancy_repulsion_eV(model)
    f_mg, _ = exact_correlation_factor(model, lattice_cells, a_A, SOLUTE)
    d = lam2 / 6 * 8 * gamma * c_eq * math.exp(-eps / model.kT_eV) * f_mg * units.CM2_PER_A2
    return {"D_cm2_s": d, "f_mg": f_mg, "gamma_mg_Hz": gamma, "eps_eV": eps}


def part_b(quick: bool, seeds: int, log):
    cells = 16
    events = 6_000_000 if quick else 25_000_000
    out = {"runs": {}}
    for T, x in ((T25, 0.02), (T60, 0.02)) + (() if quick else ((T25, 0.01),)):
        r = mg_run(T, x, cells, seeds, events, log)
        model = r["model"]
        c_eq = box_vacancy_equilibrium_fraction(load_config(LIMG_PARAMS), model.kT_eV)   # at the run's T
        c_box = 1.0 / r["n_sites"]
        scale = c_eq / c_box * units.CM2_PER_A2                 # A^2/s in the box -> cm^2/s physical
        f_box, _ = exact_correlation_factor(model, cells, load_config(LIMG_PARAMS).lattice.lattice_constant_A, SOLUTE)
        r["f_mg_exact_single"] = f_box
        r["D_kmc_analytic_A2_s"] = r["lambda2_A2"] / 6 * r["nu_mg_analytic_Hz"] * f_box
        blk = r[f"blocks_{r['main_block']}"]
        # measured / analytic, block-paired (see mg_run)
        r["q_jumps"], r["q_jumps_err"] = blk["jumps_over_analytic"], blk["jumps_over_analytic_err"]
        r["q_D"], r["q_D_err"] = blk["r2_over_lam2_expected"] / f_box, blk["r2_over_lam2_expected_err"] / f_box
        r["c_eq"], r["c_box"] = c_eq, c_box
        r["D_phys"], r["D_phys_err"] = r["D_kmc_A2_s"] * scale, r["D_kmc_err"] * scale
        r["D_phys_analytic_box"] = r["D_kmc_analytic_A2_s"] * scale
        r["D_phys_farfield"] = r["D_phys"] / r["far_over_box"]
        r["dilute"] = analytic_mg(model, 24, load_config(LIMG_PARAMS).lattice.lattice_constant_A, c_eq)
        out["runs"][(T, x)] = r
        log(f"(b) T={T} x_Mg={x}: measured/analytic, block-paired: jumps {r['q_jumps']:.4f} +- "
            f"{r['q_jumps_err']:.4f}, D {r['q_D']:.4f} +- {r['q_D_err']:.4f}")
        log(f"(b) T={T} x_Mg={x}: D_kMC = {r['D_kmc_A2_s']:.4e} +- {r['D_kmc_err']:.1e} A^2/s "
            f"(analytic {r['D_kmc_analytic_A2_s']:.4e}); Mg jumps/s {r['nu_mg_measured_Hz']:.4e} +- "
            f"{r['nu_mg_measured_err']:.1e} (analytic {r['nu_mg_analytic_Hz']:.4e}); f_Mg {r['f_mg']:.4f} +- "
            f"{r['f_mg_err']:.4f} (single Mg exact {f_box:.4f}); D_phys {r['D_phys']:.3e} cm^2/s "
            f"[{r['wall_s']:.0f} s]")
    return out


# ----------------------------------------------------------------------------- report
def build_checks(a_res, b_res, quick: bool) -> list[dict]:
    checks = []
    cmd = SCRIPT + (" --quick" if quick else "")

    def add(name, value, err, target, target_note, verdict_text, unit=""):
        checks.append({"check": name, "value": value, "error": err, "target": target, "target_source": target_note,
                       "verdict": verdict_text, "unit": unit, "command": cmd})

    if a_res:
        for n, r in sorted(a_res["boxes"].items()):
            add(f"(a) f, pure Li, 1 vacancy in N={n}", r["f"], r["f_err"], F_BCC,
                "Compaan & Haven BCC", verdict(r["f"], r["f_err"], F_BCC))
            add(f"(a) f, pure Li, N={n} vs exact finite box", r["f"], r["f_err"], r["exact_f_box"],
                "exact for this box (Markov chain)", verdict(r["f"], r["f_err"], r["exact_f_box"]))
        add("(a) exact f, N -> infinity (extrapolated)", a_res["exact_f_inf"], 0.0, F_BCC, "Compaan & Haven BCC",
            "match" if abs(a_res["exact_f_inf"] - F_BCC) < 1e-5 else "DIFFERS")
        # (c) Li self-diffusion at 25 C, from the N=1024 box
        r = a_res["boxes"][max(a_res["boxes"])]
        model = a_res["model"]
        c_eq = box_vacancy_equilibrium_fraction(a_res["settings"], model.kT_eV)
        scale = c_eq * r["n_sites"] * units.CM2_PER_A2
        add(f"(c) D_Li 25 C, pure Li (N={r['n_sites']}), rescaled to c_eq", r["D_kmc_A2_s"] * scale,
            r["D_kmc_err"] * scale, r["D_kmc_analytic_A2_s"] * scale,
            "model analytic (1/6) 8 lambda^2 Gamma_Li c f_N; no measured value in docs/physics.md",
            verdict(r["D_kmc_A2_s"], r["D_kmc_err"], r["D_kmc_analytic_A2_s"]), "cm^2/s")
    if b_res:
        runs = b_res["runs"]
        for (T, x), r in sorted(runs.items()):
            add(f"(b) Mg jumps / analytic, T={T} K, x_Mg={x}", r["q_jumps"], r["q_jumps_err"], 1.0,
                f"model analytic (Boltzmann vacancy, model rates): {r['nu_mg_analytic_Hz']:.4g}/s per Mg in the box",
                verdict(r["q_jumps"], r["q_jumps_err"], 1.0))
            add(f"(b) f_Mg, T={T} K, x_Mg={x}", r["f_mg"], r["f_mg_err"], r["f_mg_exact_single"],
                "exact for a single Mg in this box", verdict(r["f_mg"], r["f_mg_err"], r["f_mg_exact_single"]))
            add(f"(b) D_Mg, T={T} K, x_Mg={x}, vs model analytic (same box)", r["D_phys"], r["D_phys_err"],
                r["D_phys_analytic_box"], "model analytic: (lambda^2/6) nu_Mg f_Mg(single Mg), rescaled",
                f"measured/analytic {r['q_D']:.4f} +- {r['q_D_err']:.4f} (block-paired): "
                + verdict(r["q_D"], r["q_D_err"], 1.0), "cm^2/s")
            add(f"(b) D_Mg, T={T} K, x_Mg={x}, far-field vacancy convention", r["D_phys_farfield"],
                r["D_phys_err"] / r["far_over_box"], DFT_D_MG_CM2_S[T], "DFT, seed 004 (docs/physics.md §2)",
                f"model/DFT = {r['D_phys_farfield'] / DFT_D_MG_CM2_S[T]:.2f}", "cm^2/s")
            if x == 0.02 and T in DFT_D_MG_CM2_S:
                dft = DFT_D_MG_CM2_S[T]
                add(f"(b) D_Mg, T={T} K, x_Mg={x}, vs DFT", r["D_phys"], r["D_phys_err"], dft,
                    "DFT, seed 004 (docs/physics.md §2)",
                    f"model/DFT = {r['D_phys'] / dft:.2f} ({verdict(r['D_phys'], r['D_phys_err'], dft)})", "cm^2/s")
        if (T25, 0.02) in runs and (T60, 0.02) in runs:
            lo, hi = runs[(T25, 0.02)], runs[(T60, 0.02)]
            ratio = hi["D_phys"] / lo["D_phys"]
            ratio_err = ratio * math.hypot(hi["D_phys_err"] / hi["D_phys"], lo["D_phys_err"] / lo["D_phys"])
            ratio_an = hi["D_phys_analytic_box"] / lo["D_phys_analytic_box"]
            dft_ratio = DFT_D_MG_CM2_S[T60] / DFT_D_MG_CM2_S[T25]
            # measured/analytic at each temperature is block-paired, so their quotient has a
            # smaller error than the measured ratio itself
            qq = hi["q_D"] / lo["q_D"]
            qq_err = qq * math.hypot(hi["q_D_err"] / hi["q_D"], lo["q_D_err"] / lo["q_D"])
            add("(b) D_Mg(60 C)/D_Mg(25 C) vs model analytic", ratio, ratio_err, ratio_an,
                "model analytic, same boxes", f"(measured/analytic) ratio {qq:.4f} +- {qq_err:.4f}: "
                + verdict(qq, qq_err, 1.0))
            add("(b) D_Mg(60 C)/D_Mg(25 C) vs DFT", ratio, ratio_err, dft_ratio, "DFT, seed 004",
                verdict(ratio, ratio_err, dft_ratio))
            inv = 1 / (units.K_B_eV_per_K * T25) - 1 / (units.K_B_eV_per_K * T60)
            ea = math.log(ratio) / inv
            ea_err = ratio_err / ratio / inv
            ea_dft = math.log(dft_ratio) / inv
            ea_dilute = math.log(hi["dilute"]["D_cm2_s"] / lo["dilute"]["D_cm2_s"]) / inv
            add("(b) effective activation energy of D_Mg", ea, ea_err, ea_dft,
                "DFT pair (0.50 + 0.102 eV)", verdict(ea, ea_err, ea_dft), "eV")
            add("(b) effective activation energy, model dilute analytic", ea_dilute, 0.0, ea_dft,
                "DFT pair", f"model - DFT = {ea_dilute - ea_dft:+.3f} eV", "eV")
            for T, r in ((T25, lo), (T60, hi)):
                add(f"(b) D_Mg dilute-limit model analytic, T={T} K", r["dilute"]["D_cm2_s"], 0.0,
                    DFT_D_MG_CM2_S[T], "DFT, seed 004", f"model/DFT = {r['dilute']['D_cm2_s'] / DFT_D_MG_CM2_S[T]:.2f}",
                    "cm^2/s")
    return checks


def print_table(checks):
    w = max(len(c["check"]) for c in checks)
    print(f"{'check':<{w}}  {'measured':>11} {'+-':>9}  {'target':>11}  verdict")
    for c in checks:
        err = f"{c['error']:.2g}" if c["error"] else "exact"
        print(f"{c['check']:<{w}}  {c['value']:>11.5g} {err:>9}  {c['target']:>11.5g}  {c['verdict']}  [{c['target_source']}]")


def figure(a_res, b_res, path: Path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    if a_res:
        ax = axes[0]
        ns = np.array(sorted(a_res["exact_f"]))
        ax.plot(1 / ns, [a_res["exact_f"][n] for n in ns], "k.-", label="exact, finite box")
        for n, r in sorted(a_res["boxes"].items()):
            ax.errorbar([1 / n], [r["f"]], yerr=[r["f_err"]], fmt="o", ms=5, capsize=3,
                        label=f"kMC, N={n}")
        ax.axhline(F_BCC, color="grey", ls="--", label="Compaan & Haven 0.72719")
        ax.set_xscale("log")
        ax.set_xlabel("1 / N (sites per vacancy)")
        ax.set_ylabel("tracer correlation factor f")
        ax.set_title("(a) pure Li, one vacancy")
        ax.legend(fontsize=7)
    if b_res:
        ax = axes[1]
        for i, ((T, x), r) in enumerate(sorted(b_res["runs"].items())):
            if x != 0.02:
                continue
            tau = r["msd"][0][0]
            msd = np.mean([m[1] for m in r["msd"]], axis=0)
            ax.plot(tau * 1e9, msd, "o", ms=4, color=f"C{i}", label=f"kMC {T - 273.15:.0f} C")
            ax.plot(np.r_[0, tau] * 1e9, 6 * r["D_kmc_analytic_A2_s"] * np.r_[0, tau], "-", lw=1,
                    color=f"C{i}", label=f"6 D t, model analytic {T - 273.15:.0f} C")
        ax.set_xlabel("kMC time lag (ns, box with 1 vacancy)")
        ax.set_ylabel("Mg MSD (A^2)")
        ax.set_title("(b) Mg tracer MSD, x_Mg = 0.02")
        ax.legend(fontsize=7)
        ax = axes[2]
        ts = np.linspace(T25 - 10, T60 + 10, 50)
        runs = b_res["runs"]
        lo, hi = runs[(T25, 0.02)], runs[(T60, 0.02)]
        ea_model = math.log(hi["dilute"]["D_cm2_s"] / lo["dilute"]["D_cm2_s"]) / (1 / (units.K_B_eV_per_K * T25)
                                                                                    - 1 / (units.K_B_eV_per_K * T60))
        ax.plot(1000 / ts, lo["dilute"]["D_cm2_s"] * np.exp(-ea_model / units.K_B_eV_per_K * (1 / ts - 1 / T25)),
                "C0-", lw=1, label=f"model, dilute analytic ({ea_model:.3f} eV)")
        dft_ea = math.log(DFT_D_MG_CM2_S[T60] / DFT_D_MG_CM2_S[T25]) / (1 / (units.K_B_eV_per_K * T25)
                                                                       - 1 / (units.K_B_eV_per_K * T60))
        ax.plot(1000 / ts, DFT_D_MG_CM2_S[T25] * np.exp(-dft_ea / units.K_B_eV_per_K * (1 / ts - 1 / T25)),
                "C3--", lw=1, label=f"DFT (seed 004), {dft_ea:.3f} eV")
        ax.plot([1000 / T25, 1000 / T60], [DFT_D_MG_CM2_S[T25], DFT_D_MG_CM2_S[T60]], "C3s", ms=6)
        for (T, x), r in sorted(runs.items()):
            ax.errorbar([1000 / T], [r["D_phys"]], yerr=[r["D_phys_err"]], fmt="o" if x == 0.02 else "^",
                        color="C0" if x == 0.02 else "C2", ms=5, capsize=3,
                        label=f"kMC x_Mg={x}" if T == T25 else None)
        ax.set_yscale("log")
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel("D_Mg (cm^2/s), kMC x c_eq / c_box")
        ax.set_title("(b) Mg tracer diffusivity vs DFT")
        ax.legend(fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items() if k not in ("model", "settings", "msd")}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer events and seeds (about 1 min)")
    ap.add_argument("--parts", default="abc", help="which checks: any of a, b, c (c comes from a's runs)")
    ap.add_argument("--seeds", type=int, default=None, help="independent replicas per case")
    ap.add_argument("--figure", type=Path, default=None, help="write the figure (PNG) here")
    ap.add_argument("--json", type=Path, default=None, help="write the JSON here too")
    args = ap.parse_args(argv)
    seeds = args.seeds or (3 if args.quick else 6)
    if seeds < 2:
        ap.error("--seeds must be at least 2 (error bars come from the seed scatter)")
    log = lambda msg: print(msg, flush=True)
    t0 = time.perf_counter()
    a_res = part_a(args.quick, seeds, log) if ("a" in args.parts or "c" in args.parts) else None
    b_res = part_b(args.quick, args.seeds or (3 if args.quick else 4), log) if "b" in args.parts else None
    checks = build_checks(a_res, b_res, args.quick)
    print()
    print_table(checks)
    doc = {"checks": checks, "wall_s": time.perf_counter() - t0,
           "details": {"a": _jsonable(a_res) if a_res else None,
                       "b": _jsonable({f"T{k[0]}_x{k[1]}": v for k, v in b_res["runs"].items()}) if b_res else None}}
    text = json.dumps(doc, indent=2, default=float)
    print(text)
    if args.json:
        args.json.write_text(text)
    if args.figure:
        figure(a_res, b_res, args.figure)
        print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
