"""Void nucleation rates by forward-flux sampling (Allen, Warren & ten Wolde, PRL 94, 018104
(2005); Allen, Frenkel & ten Wolde, J. Chem. Phys. 124, 024102 (2006)) on the engine at physical
kinetics (the steady interface of kmc.interface_rates.steady); the direct waiting-time rate, which
needs no basin and measures fast nucleation (``waiting_times``; kmc.interface_rates.report chooses
between them from the state); and the brute-force rate from A.  Every free run, trial batch and
waiting run is an independent piece seeded from the run's seeds and its index
(kmc.interface_rates.pieces), so workers give the serial numbers.

Order parameter lambda: the size of the largest interface vacancy cluster (kmc.interface_rates.clusters).
Basin A: lambda < lambda_0.  Interfaces lambda_0 < lambda_1 < ... < lambda_n = lambda_B.  The rate is

    I = Phi_0 prod_i P(lambda_{i+1} | lambda_i) / area,

Phi_0 the number of upward crossings of lambda_0 per unit time spent in A (in FFS's sense: having
last visited A rather than B, so excursions above lambda_0 count; from free runs at the steady
interface), P_i the fraction of trials fired from the configurations stored at lambda_i that
reach lambda_{i+1} before falling back into A.  lambda is read every ``check_events`` events (the
engine's chunk); the snapshots of a Markov chain taken every k events are a Markov chain, so FFS is
exact for the snapshot process, and the brute-force check uses the same snapshots.

Start: the steady interface's (steady.seeded_occupancy); for a set with a solute by default with L1 in
segregation equilibrium with the bulk (``l1``, steady.L1_STARTS), the physical state, which the box at
acceleration 1 cannot reach by itself within its microseconds (docs/rates.md section 3).

Error: (dI/I)^2 = (dPhi/Phi)^2 + sum_i (dP_i/P_i)^2 (independent stages, Allen, Valeriani & ten
Wolde, J. Phys.: Condens. Matter 21, 463102 (2009)); dPhi from the spread of independent flux
replicas; dP_i not the binomial sqrt((1 - P) / (P M)) of that paper's independent-branch formula
but the ratio estimator's error over the stored configurations the trials start from (their
committors differ widely: on the 6x6 box at S = 1000 the binomial error made FFS and brute force
differ by 4 "se").  Each stage fires at least ``trials`` trials and goes on until ``min_hits``
succeed, so that the next stage starts from many configurations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc.interface_rates import pieces, steady
from kmc.interface_rates.clusters import ClusterFinder

A2_PER_UM2 = 1e8
MAX_RESTARTS = 100         # warm-ups a first-passage run may redo before it gives up on its start condition
# Trials per batch of a stage (numerics: the batches change the work done, never the result, see _stage).
SERIAL_BATCH = 20          # here: trials beyond the stopping point cost at most a batch
BATCH_PER_SLOT = 2         # on workers: pieces per worker and batch, so that a slow trial does not idle the rest




@dataclass
class FluxResult:
    flux_per_s: float          # upward crossings of lambda_0 per second in A (whole box)
    flux_se_per_s: float
    crossings: int
    time_in_A_s: float
    configurations: list       # get_state() at each crossing
    events: int
    escapes: int               # free runs that left for lambda_B (restarted)


@dataclass
class FFSResult:
    rate_per_um2_s: float
    rate_se_per_um2_s: float   # standard error (AVtW 2009 estimate)
    interfaces: list
    probabilities: list
    trials: list
    flux: FluxResult
    supersaturation: float
    area_um2: float
    events: int
    wall_s: float = 0.0
    note: str = ""
    l1: str = ""               # the start's L1 (steady.L1_STARTS), "given" for a given occupancy
    upper_bound_per_um2_s: float | None = None   # 95 %, where a stage saw no success (rate 0)

    @property
    def log10_rate(self) -> float:
        return math.log10(self.rate_per_um2_s) if self.rate_per_um2_s > 0 else -math.inf


def _start(settings, supersaturation, seed, occupancy, l1: str):
    """The steady settings of one seed and its start occupancy (what a free run or a trial builds
    its Simulation from)."""
    st = steady.steady_settings(settings, supersaturation, seed=int(seed))
    occ = steady.seeded_occupancy(st, supersaturation, int(seed), l1) if occupancy is None else occupancy
    return st, occ


def _sim(settings, supersaturation, seed, occupancy, l1: str):
    from kmc.simulation import Simulation
    return Simulation(*_start(settings, supersaturation, seed, occupancy, l1))


def _area_um2(settings) -> float:
    from kmc.model import build_lattice
    return build_lattice(settings).interface_area_A2 / A2_PER_UM2


def _flux_replica(settings, supersaturation, lambda_0, lambda_B, seed, events_per_replica, check_events,
                  warmup_events, occupancy, keep_total, l1):
    """One free run of ``flux`` (a piece: everything from its seed): (upward crossings of lambda_0,
    time in A, the first ``keep_total`` crossing configurations, events, escapes)."""
    finder = ClusterFinder(steady.steady_settings(settings, supersaturation))
    configs, escapes, events = [], 0, 0
    sim = _sim(settings, supersaturation, seed, occupancy, l1)
    sim.step(warmup_events)
    t_in_A, n, done, in_A = 0.0, 0, 0, finder(sim) < lambda_0
    t_prev = sim.time_s
    while done < events_per_replica:
        sim.step(check_events)
        done += check_events
        lam = finder(sim)
        # FFS's "in A": last in A rather than in B, so every moment before nucleation counts
        t_in_A += sim.time_s - t_prev
        t_prev = sim.time_s
        if in_A and lam >= lambda_0:
            n += 1
            if len(configs) < keep_total:
                configs.append(sim.get_state())
        if lam >= lambda_B:      # nucleated: restart from a fresh start of this seed
            escapes += 1
            events += sim.events
            sim = _sim(settings, supersaturation, seed * 7919 + escapes, occupancy, l1)
            sim.step(warmup_events)
            t_prev = sim.time_s
            lam = finder(sim)
        in_A = lam < lambda_0
    events += sim.events
    return n, t_in_A, configs, events, escapes


def flux(settings, supersaturation, lambda_0, lambda_B, seeds, events_per_replica, check_events=20,
         warmup_events=20_000, occupancy=None, keep=400, *, l1: str, runner=pieces.SERIAL) -> FluxResult:
    """Phi_0 from one free run per seed at the steady interface (fixed events each); a run that
    reaches lambda_B is restarted from its seed's start (its time outside A does not count).
    ``l1``: the start's L1 (one of steady.L1_STARTS, resolved by steady.l1_start), unless
    ``occupancy`` is given.  The runs are independent pieces (``runner``); the first
    ``keep`` x len(seeds) crossing configurations, in seed order, are kept."""
    seeds = list(seeds)
    keep_total = keep * len(seeds)
    out = runner.map(_flux_replica, [(settings, supersaturation, lambda_0, lambda_B, seed, events_per_replica,
                                      check_events, warmup_events, occupancy, keep_total, l1) for seed in seeds],
                     f"flux at S = {supersaturation:g}")
    rates, configs, events, escapes, n_cross, t_total = [], [], 0, 0, 0, 0.0
    for n, t_in_A, kept, ev, esc in out:
        configs.extend(kept[:keep_total - len(configs)])
        rates.append(n / t_in_A if t_in_A > 0 else 0.0)
        n_cross += n
        t_total += t_in_A
        events += ev
        escapes += esc
    phi = n_cross / t_total if t_total > 0 else 0.0
    se = float(np.std(rates, ddof=1) / math.sqrt(len(rates))) if len(rates) > 1 else phi / math.sqrt(max(n_cross, 1))
    return FluxResult(phi, se, n_cross, t_total, configs, events, escapes)


def _trial(sim, finder, lambda_0, target, check_events, max_events):
    """Fire from the state loaded in ``sim``: True if lambda reaches ``target`` before A."""
    done = 0
    lam = finder(sim)     # a stored configuration may already lie beyond the next interface
    while done < max_events:
        if lam >= target:
            return True, done
        if lam < lambda_0:
            return False, done
        sim.step(check_events)
        done += check_events
        lam = finder(sim)
    return False, done


def _trial_batch(start_settings, start_occupancy, parents, lambda_0, target, check_events, max_trial_events, key):
    """Trials of one stage (a piece): ``parents`` = [(trial index k, its parent configuration)], each
    trial on a stream of its own, SeedSequence(key + (k,)).  Returns [(reached, events, the state
    reached or None)] in the order given."""
    from kmc.simulation import Simulation
    sim = Simulation(start_settings, start_occupancy)
    finder = ClusterFinder(sim.lattice)
    out = []
    for k, config in parents:
        sim.set_state(config)
        sim.reseed(*key, k)
        ok, done = _trial(sim, finder, lambda_0, target, check_events, max_trial_events)
        out.append((ok, done, sim.get_state() if ok else None))
    return out


def _stop_index(hits_so_far, trials, min_hits, max_trials):
    """The number of trials the stage fires, once the outcomes of that many are known, else None:
    it goes on while k < max_trials and (k < trials or hits < min_hits)."""
    hits = 0
    for k, ok in enumerate(hits_so_far):
        if not (k < max_trials and (k < trials or hits < min_hits)):
            return k
        hits += ok
    k = len(hits_so_far)
    return k if not (k < max_trials and (k < trials or hits < min_hits)) else None


def _stage(start, configs, lambda_0, target, trials, min_hits, max_trials, check_events, max_trial_events,
           key, runner=pieces.SERIAL, label=""):
    """One interface: trials fired from the stored configurations in turn (parent k mod n) until
    ``trials`` are done and ``min_hits`` succeeded (or ``max_trials``).  Returns P, its standard
    error, the trials, the configurations reached, the events run.  The error is the ratio
    estimator's over parents (trials from one parent are correlated: their committors differ), so
    it is not the binomial one, which the check against brute force showed too small.

    The trials run in batches of pieces (``runner``); trial k depends only on its parent and its
    index, and the stopping rule reads the outcomes in index order, so the stage is the serial one
    whatever the batches (trials a batch ran beyond the stopping point are dropped)."""
    n_par = len(configs)
    outcomes = []
    while (k_stop := _stop_index([o[0] for o in outcomes], trials, min_hits, max_trials)) is None:
        k0 = len(outcomes)
        hits = sum(o[0] for o in outcomes)
        if k0 < trials:
            want = trials - k0
        else:          # enough trials, too few successes: as many as the rate so far needs, at least a round
            p = hits / k0 if hits else 1.0 / k0
            want = math.ceil((min_hits - hits) / p)
        n_chunks = BATCH_PER_SLOT * runner.slots if runner.slots > 1 else 1
        want = max(want, n_chunks if runner.slots > 1 else SERIAL_BATCH)
        ks = list(range(k0, min(k0 + want, max_trials)))
        chunks = [c for c in (ks[j::n_chunks] for j in range(n_chunks)) if c]
        done = runner.map(_trial_batch, [(*start, [(k, configs[k % n_par]) for k in c], lambda_0, target,
                                          check_events, max_trial_events, key) for c in chunks], label)
        by_k = {k: o for c, res in zip(chunks, done) for k, o in zip(c, res)}
        outcomes += [by_k[k] for k in ks]
    outcomes = outcomes[:k_stop]
    hits_of, tries_of = np.zeros(n_par), np.zeros(n_par)
    for k, (ok, _, _) in enumerate(outcomes):
        tries_of[k % n_par] += 1
        hits_of[k % n_par] += ok
    k = len(outcomes)
    nxt = [state for ok, _, state in outcomes if ok]
    events = sum(done for _, done, _ in outcomes)
    p = hits_of.sum() / k
    used = tries_of > 0
    m = int(used.sum())
    resid = hits_of[used] - p * tries_of[used]
    se = math.sqrt(m / max(m - 1, 1) * float((resid ** 2).sum())) / k
    if p > 0 and se == 0:
        se = math.sqrt(p * (1 - p) / k)
    return p, se, k, nxt, events


def forward_flux(settings, supersaturation, interfaces, seeds=(1, 2, 3, 4), flux_events=200_000,
                 trials=200, min_hits=50, max_trials=5000, check_events=20, max_trial_events=2_000_000,
                 occupancy=None, root_seed=40, *, l1: str, runner=pieces.SERIAL) -> FFSResult:
    """The nucleation rate I (per um^2 per s) at the steady interface, by FFS over ``interfaces``
    (lambda_0, ..., lambda_B), with ``trials`` trials per interface.  Stops early (rate 0, with the
    product so far as the 95 % upper bound ``upper_bound_per_um2_s``, also said in ``note``) if an
    interface is never reached.  ``l1``: the
    free runs' start (one of steady.L1_STARTS, resolved by steady.l1_start).  The flux runs and
    each stage's trials run as pieces on ``runner`` (kmc.interface_rates.pieces), with the serial
    result whatever it is."""
    import time
    wall = time.time()
    lambda_0, lambda_B = interfaces[0], interfaces[-1]
    fl = flux(settings, supersaturation, lambda_0, lambda_B, seeds, flux_events, check_events,
              occupancy=occupancy, l1=l1, runner=runner)
    start = _start(settings, supersaturation, seeds[0], occupancy, l1)
    area_um2 = _area_um2(start[0])
    configs, probs, counts, events, rel_var, note, bound = fl.configurations, [], [], fl.events, 0.0, "", None
    for i in range(len(interfaces) - 1):
        if not configs:
            note = f"no configuration at lambda = {interfaces[i]}"
            break
        p, se, n, nxt, done = _stage(start, configs, lambda_0, interfaces[i + 1], trials, min_hits, max_trials,
                                     check_events, max_trial_events, (root_seed, i), runner,
                                     f"FFS at S = {supersaturation:g}, stage {i + 1}/{len(interfaces) - 1}")
        events += done
        probs.append(p)
        counts.append(n)
        if p > 0:
            rel_var += (se / p) ** 2
        configs = nxt
    complete = len(probs) == len(interfaces) - 1 and all(p > 0 for p in probs)
    prod = float(np.prod(probs)) if probs else 0.0
    rate = fl.flux_per_s * prod / area_um2 if complete else 0.0
    if fl.flux_per_s > 0:
        rel_var += (fl.flux_se_per_s / fl.flux_per_s) ** 2
    if not complete:
        # 0 of M trials: P < 3/M at 95 % (rule of three); the bound multiplies the product so far
        reached = [p for p in probs if p > 0]
        if fl.crossings == 0:   # not even lambda_0 crossed: fewer than 3 crossings in the time run
            bound = 3.0 / fl.time_in_A_s / area_um2
            note = f"no crossing of lambda_0 = {lambda_0} in {fl.time_in_A_s:.3g} s"
        else:
            bound = fl.flux_per_s * float(np.prod(reached)) * 3.0 / counts[-1] / area_um2
        note = (note or f"0 of {counts[-1]} trials reached lambda = {interfaces[len(probs)]}") + \
            f"; 95 % upper bound {bound:.3g} per um^2 per s"
    return FFSResult(rate, rate * math.sqrt(rel_var), list(interfaces), probs, counts, fl, supersaturation,
                     area_um2, events, time.time() - wall, note,
                     "given" if occupancy is not None else l1, upper_bound_per_um2_s=bound)


def _first_passage(settings, supersaturation, lambda_0, lambda_B, start_below, seed, check_events, max_events,
                   warmup_events, occupancy, l1):
    """One run from the steady interface to lambda_B (a piece): warm-up, restarted with another stream
    (seed * 7919 + k) until it ends with lambda < ``start_below``; then lambda read every
    ``check_events`` until it reaches lambda_B or ``max_events`` pass.  Returns (time from the end of
    warm-up in s, reached, events, snapshots with lambda < lambda_0, snapshots before nucleation:
    up to the last one in A, or all of them if the run never was in A)."""
    finder = ClusterFinder(steady.steady_settings(settings, supersaturation))
    sim = _sim(settings, supersaturation, seed, occupancy, l1)
    sim.step(warmup_events)
    restart = 0
    while finder(sim) >= start_below:
        restart += 1
        if restart > MAX_RESTARTS:
            raise RuntimeError(f"seed {seed}: {MAX_RESTARTS} warm-ups all ended at lambda >= {start_below}; allowed: "
                               "a start below it (a lower supersaturation, or the direct method, which starts "
                               "below lambda_B)")
        sim = _sim(settings, supersaturation, seed * 7919 + restart, occupancy, l1)
        sim.step(warmup_events)
    t0 = sim.time_s
    done, in_A, snaps, through_last_A = 0, 0, 0, 0
    lam = finder(sim)
    while lam < lambda_B and done < max_events:
        sim.step(check_events)
        done += check_events
        lam = finder(sim)
        snaps += 1
        if lam < lambda_0:
            in_A += 1
            through_last_A = snaps   # the climb after the last visit to A is the nucleation itself
    return sim.time_s - t0, bool(lam >= lambda_B), sim.events, in_A, through_last_A if in_A else snaps


@dataclass
class BruteForceResult:
    rate_per_um2_s: float
    rate_se_per_um2_s: float
    first_passage_s: np.ndarray
    area_um2: float
    events: int
    l1: str = ""               # as FFSResult.l1


def brute_force(settings, supersaturation, lambda_0, lambda_B, seeds, check_events=20, max_events=50_000_000,
                warmup_events=20_000, occupancy=None, *, l1: str, runner=pieces.SERIAL) -> BruteForceResult:
    """The nucleation rate from the mean first-passage time to lambda_B of independent runs (one per
    seed) at the steady interface: I = 1 / (<tau> area).  tau counts from the end of warm-up
    (runs still in A there; one that is not is restarted with another stream).  The standard error
    is that of the mean of the taus, propagated to 1 / <tau>.  ``l1``: as forward_flux's."""
    seeds = list(seeds)
    runs = runner.map(_first_passage, [(settings, supersaturation, lambda_0, lambda_B, lambda_0, seed, check_events,
                                        max_events, warmup_events, occupancy, l1) for seed in seeds],
                      f"brute force at S = {supersaturation:g}")
    for seed, (_, reached, *_) in zip(seeds, runs):
        if not reached:
            raise RuntimeError(f"seed {seed}: lambda_B = {lambda_B} not reached in {max_events} events")
    area = _area_um2(steady.steady_settings(settings, supersaturation))
    events = sum(r[2] for r in runs)
    taus = np.array([r[0] for r in runs])
    mean = taus.mean()
    se_mean = taus.std(ddof=1) / math.sqrt(len(taus))
    rate = 1.0 / (mean * area)
    return BruteForceResult(rate, rate * se_mean / mean, taus, area, events,
                            "given" if occupancy is not None else l1)


@dataclass
class WaitingTimeResult:
    """The nucleation rate from direct waiting times: N runs of M reached lambda_B, the rate
    N / (sum of the times run) / area (the maximum-likelihood rate of a Poisson process, runs cut
    off at max_events included), its Poisson error rate / sqrt(N); with N = 0 the 95 % upper bound
    3 / (sum of times) / area (no event in the time sampled: P(0) = exp(-rate T) = 0.05)."""
    rate_per_um2_s: float
    rate_se_per_um2_s: float
    upper_bound_per_um2_s: float | None
    reached: int
    runs: int
    time_sampled_s: float
    fraction_in_A: float       # snapshots with lambda < lambda_0 over the snapshots before nucleation
    area_um2: float
    events: int
    wall_s: float = 0.0


def waiting_times(settings, supersaturation, lambda_0, lambda_B, seeds, max_events=400_000, check_events=20,
                  warmup_events=0, occupancy=None, *, l1: str, runner=pieces.SERIAL) -> WaitingTimeResult:
    """The direct rate of first passages to lambda_B from the steady interface (one run per seed, each
    from the seeded start, clocked from it unless ``warmup_events`` are given, and run until
    lambda_B or ``max_events``; the runs are pieces on ``runner``).  From the start, not after a
    warm-up: at S = 10000 the warm-up itself nucleates (12x12x4 box: 2e4 events of warm-up gave
    1.3e14 +- 0.5e14 per um^2 per s from what was left, the clock from the start 1.15e13 +- 0.41e13,
    the brute-force rate from A 1.22e13 +- 0.18e13); where nucleation is slow the start's
    transient is a small part of the time (6x6x4, S = 1000, lambda_B = 8: 2.8e11 +- 0.8e11 from the
    start, 3.1e11 +- 0.9e11 after 2e4 events).  Unlike FFS it needs no basin: it holds where the
    interface never sits below lambda_0.  Also measures how much of its time before nucleation (up
    to its last visit to A) the interface spends in FFS's basin A (lambda < lambda_0), which says
    whether FFS applies (report.nucleation_record)."""
    import time
    wall = time.time()
    seeds = list(seeds)
    runs = runner.map(_first_passage, [(settings, supersaturation, lambda_0, lambda_B, lambda_B, seed, check_events,
                                        max_events, warmup_events, occupancy, l1) for seed in seeds],
                      f"waiting times at S = {supersaturation:g}")
    area = _area_um2(steady.steady_settings(settings, supersaturation))
    t_total = float(sum(r[0] for r in runs))
    reached = sum(r[1] for r in runs)
    snaps = sum(r[4] for r in runs)
    rate = reached / t_total / area if t_total > 0 else 0.0
    bound = 3.0 / t_total / area if reached == 0 and t_total > 0 else None
    return WaitingTimeResult(rate, rate / math.sqrt(reached) if reached else 0.0, bound, reached, len(seeds),
                             t_total, sum(r[3] for r in runs) / snaps if snaps else 0.0, area,
                             int(sum(r[2] for r in runs)), time.time() - wall)
