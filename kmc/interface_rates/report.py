"""The interface rates a um-scale model needs, at physical kinetics, as one list of records
``{"name", "value", "unit", "error", "method"}`` (``kmc rates``; the JSON layout is documented in
docs/rates.md): every record's number is under "value", whatever it is (a rate, a fraction, a
lifetime: "unit" says which).  ``--write-meso`` puts the measured I(S) row where ``kmc meso`` reads it.

JSON_VERSION changes whenever a key's meaning changes; new records may be added without it.
"""
from __future__ import annotations

import time

from kmc import units
from kmc.interface_rates import cnt, interface, steady
from kmc.model import box_hop_prefactor_Hz, cell_supersaturation, cell_transport
from kmc.physics import solute, vacancy

# 2: the enrichment records are subsurface_solute_fraction_* (the metal just below the contact, as kmc meso
# names it; interface_solute_fraction there is L1), and a set with a solute measures from the equilibrium L1
# 3: every record's number is under "value" (version 2 keyed rates "rate" and the rest "value")
JSON_VERSION = 3

# The nucleation box and ladder (numerics; docs/rates.md shows their cost and checks).
NUCLEATION_CELLS = (12, 12, 4)
# FFS interfaces (largest interface cluster, vacancies).  lambda_0 = 3 lies above the steady
# interface's typical largest cluster for S <~ 1000 on this box; lambda_B = 28: in every sampled case
# the stages' probabilities reach 1 by 17-22 (docs/rates.md), so lambda_B is committed.
LADDER = (3, 4, 5, 6, 8, 10, 13, 17, 22, 28)
# The least fraction of its time the steady interface must spend in FFS's basin A (largest cluster
# below lambda_0) for FFS to measure its rate: below it the waiting times do (nucleation_record).
# A method choice, not physics: where both apply they agree (tests/test_rates_method.py).
IN_BASIN_MIN = 0.5
METHODS = ("auto", "ffs", "waiting")      # nucleation_record's choice, or one of the two imposed
# Pre-existing defects whose growth probability ``kmc rates`` prints: caps below, near and above the
# lattice's critical size at the cell's S (~12, docs/rates.md) and a 3-wide pit (13 missing atoms).
DEFECTS = (("cap", 6), ("cap", 12), ("cap", 24), ("pit", 3))


def _rec(name, value, unit, error, method, **extra):
    out = {"name": name, "value": value, "unit": unit, "error": error, "method": method}
    out.update(extra)
    return out


def interface_rates(settings, supersaturation: float | None = None, nucleation: bool = True,
                    trials: int = 60, flux_events: int = 400_000, seeds=(1, 2, 3, 4),
                    void_sizes=(6, 12, 24), defect_trials: int = 40, l1: str | None = None, runner=None,
                    method: str = "auto", waiting_events: int | None = None, edge_trials: int = 40,
                    contact_trials: int = 0, contact_fractions=None) -> dict:
    """Every rate with its error and method; ``supersaturation`` None: the cell's
    (steady.cell_supersaturation).  ``l1``: what the steady interface's L1 holds at the start of the
    measured L1 population and of the nucleation rate (steady.l1_start: by default, for a set with a
    solute, its segregation equilibrium with the bulk, the physical state; "random" the random
    alloy).  The placed voids and defects start from the random alloy (kmc.interface_rates.voids and
    defects take no L1 start); their records say so for a set with a solute.  ``runner``: where the
    nucleation rate's pieces run (kmc.interface_rates.pieces; None: here); ``method``,
    ``waiting_events``: nucleation_record's.  With ``nucleation`` (the costly part) and ``edge_trials`` > 0,
    the pore's edge too (edge_records: the set's [electrolyte] pore as a stripe; none without the table).
    With ``contact_trials`` > 0, where stripped vacancies go at the contact, per subsurface composition
    (kmc.interface_rates.contact.records; ``contact_fractions`` None: its default rows)."""
    wall = time.time()
    l1 = steady.l1_start(settings, l1)
    S_cell = cell_supersaturation(settings)
    S = S_cell if supersaturation is None else float(supersaturation)
    l1_fraction = float(steady.equilibrium_layer_fractions(settings, S, 1)[0])
    if not l1_fraction < 1:
        raise ValueError(not_dilute_message(settings, S, l1_fraction, given=supersaturation is not None))
    recs = [
        _rec("supersaturation", S, "1", 0.0,
             "given (--supersaturation)" if supersaturation is not None else
             "S = 1 + J Omega L / (D_v c_eq): current, electrode.sink_distance_um, the model's D_v"),
        _rec("l1_vacancy_fraction", l1_fraction, "1", 0.0,
             "isolated L1 vacancies in equilibrium with the bulk at S: S exp(-E_f,L1/kT), the box's own equilibrium (pure host; "
             "checked against the steady interface in tests/test_physical_kinetics.py)"),
        _rec("l1_vacancy_leave_rate", 1.0 / interface.first_passage_time_s(settings, 3), "1/s", 0.0,
             "exact birth-death chain of an isolated vacancy's depth: 1 / mean first passage L1 -> L4"),
        _rec("l1_vacancy_escape_lifetime", interface.escape_lifetime_s(settings), "s", 0.0,
             "exact birth-death chain: mean first passage from L1 to the sinks at electrode.sink_distance_um"),
    ]
    recs += diffusivity_records(settings, S)
    recs += l1_solute_records(settings)
    recs += measured_records(settings, S, void_sizes, l1)
    recs += enrichment_records(settings, S)
    nuc = cnt.critical_nucleus(settings, S)
    recs.append(_rec("cnt_critical_vacancies", nuc.vacancies, "vacancies", 0.0,
                     f"classical nucleation (kmc.physics.nucleation): a spherical cap meeting the electrolyte at "
                     f"180 - theta through the void, gamma = {nuc.gamma_J_m2:.3f} J/m^2 and the metal's wetting "
                     f"angle theta = {nuc.theta_deg:.1f} deg at L1's equilibrium "
                     "(kmc.energetics.interface_energetics, as kmc meso's voids)"))
    recs.append(_rec("cnt_barrier", nuc.barrier_eV, "eV", 0.0, "classical nucleation, as above"
                     + ("; at S <= 1 no nucleus grows: the critical size and barrier are infinite" if S <= 1 else "")))
    if nucleation:
        recs.append(nucleation_record(settings, S, trials, flux_events, seeds, l1, runner,
                                      waiting_events=waiting_events, method=method))
        if defect_trials > 0:
            recs += defect_records(settings, S, defect_trials, runner=runner)
    recs += edge_energy_records(settings)
    if nucleation and edge_trials > 0 and "electrolyte" in settings.to_dict():
        recs += edge_records(settings, S, edge_trials)
    if contact_trials > 0:
        from kmc.interface_rates import contact
        recs += contact.records(settings, S, contact_trials, contact_fractions)
    return {"json_version": JSON_VERSION, "params": settings.model.name,
            "temperature_K": settings.conditions.temperature_K,
            "solute_fraction": settings.composition.solute_fraction,
            "supersaturation": S, "cell_supersaturation": S_cell, "l1_start": l1,
            # the prefactor of the box's hops, nu exp(S_f/k): every rate above is in its clock
            "box_hop_prefactor_Hz": box_hop_prefactor_Hz(settings), "rates": recs,
            "wall_s": round(time.time() - wall, 2)}


def not_dilute_message(settings, S: float, l1_fraction: float, given: bool) -> str:
    """Why no rate is measured where L1's equilibrium vacancy fraction S exp(-E_f,L1/kT) is not below 1
    (more vacancies than sites: every rate here assumes dilute vacancies), and what is allowed."""
    T = settings.conditions.temperature_K
    source = (f"--supersaturation {S:.4g}" if given else
              f"the cell's S = {S:.4g} (from the current, electrode.sink_distance_um and D_v c_eq at {T:g} K)")
    return (f"{source} puts L1's equilibrium vacancy fraction S exp(-E_f,L1/kT) at {l1_fraction:.3g}: more vacancies "
            "than sites, outside the dilute balance every rate here is computed in (the stripped vacancies cannot "
            "leave by diffusion: the interface voids at once); allowed: S < "
            f"{S / l1_fraction:.3g} at {T:g} K (--supersaturation), or conditions whose S is below it: a higher "
            "conditions.temperature_K, a lower conditions.current_density_mA_cm2 or a shorter "
            "electrode.sink_distance_um")


def diffusivity_records(settings, S) -> list[dict]:
    """The host's tracer self-diffusivity D* = f D_v c_eq (kmc.physics.vacancy.tracer_diffusivity) and,
    for a set with a solute, the solute's diffusivity at c_eq and at the interface's S c_eq
    (kmc.physics.solute), in cm^2/s at the run's temperature, from the model's cell quantities
    (kmc.model.CellTransport), so they follow its c_eq and D_v."""
    cell = cell_transport(settings)
    T = settings.conditions.temperature_K
    d_host = vacancy.tracer_diffusivity(cell.vacancy_diffusivity_um2_s, cell.vacancy_equilibrium_fraction)
    recs = [_rec("host_tracer_diffusivity", d_host / units.UM2_PER_CM2, "cm^2/s", 0.0,
                 f"D* = f D_v c_eq at {T:g} K: f = {vacancy.TRACER_CORRELATION_FACTOR_BCC} (the kMC's tracer "
                 "correlation factor, one vacancy in BCC Li), "
                 f"D_v = {cell.vacancy_diffusivity_um2_s / units.UM2_PER_CM2:.4g} "
                 f"cm^2/s the model's bare host hop, c_eq = {cell.vacancy_equilibrium_fraction:.4g} (kmc.model)",
                 temperature_K=T)]
    if cell.solute_fraction > 0:
        for name, s_at, where in (("solute_diffusivity", 1.0, "at c_eq (the bulk far from the interface)"),
                                  ("solute_diffusivity_at_interface", S, f"at the interface's S c_eq (S = {S:.4g})")):
            recs.append(_rec(name, cell.solute_diffusivity_um2_s(s_at) / units.UM2_PER_CM2, "cm^2/s", 0.0,
                             f"vacancy mechanism, the model's solute hop and solute-vacancy binding "
                             f"(kmc.physics.solute, correlation factor 1), {where}, {T:g} K", temperature_K=T))
    return recs


def enrichment_records(settings, S, charges_mAh_cm2=(1.0, 4.0)) -> list[dict]:
    """The solute enrichment at physical kinetics (kmc.physics.solute, kmc.model.CellTransport): the
    depth delta = D_s / v, D_s the model's vacancy-mechanism diffusivity at S c_eq and v the recession
    at the current, and the solute fraction x (1 + h / delta) just below the contact after the given
    charges, as kmc meso's rule (subsurface_solute_fraction).  A box at acceleration A strips A times
    faster against the same hops, so its delta is delta / A.  None without a solute or a current."""
    cell = cell_transport(settings)
    delta_um = cell.enrichment_depth_um(S)
    if delta_um is None:
        return []
    v = cell.recession_velocity_um_s
    how = ("quasi-steady profile of a solute none of which is stripped (kmc.physics.solute): delta = D_s / v, "
           "D_s = (D_s per vacancy, kmc.model) S c_eq, v the recession at the current")
    A = settings.run.acceleration
    recs = [_rec("solute_enrichment_depth", delta_um, "um", 0.0, how,
                 box_depth_at_run_acceleration_A=delta_um * units.A_PER_UM / A, run_acceleration=A)]
    for q in charges_mAh_cm2:
        h = v * units.physical_time_s(q, cell.current_mA_cm2)     # stripped thickness, um
        x_sub = solute.subsurface_fraction(cell.solute_fraction, h, v, cell.solute_diffusivity_um2_s(S))
        recs.append(_rec(f"subsurface_solute_fraction_{q:g}mAh_cm2", x_sub, "1", 0.0,
                         f"{how}; after stripping {q:g} mAh/cm^2 ({h:.3g} um), at S held"))
    return recs


def start_text(settings, l1: str) -> str:
    """The start's L1 in words, for a method string ("" without a solute: one start)."""
    if settings.composition.solute_fraction <= 0:
        return ""
    if l1 == "equilibrium":
        return ("; start: L1 in segregation equilibrium with the bulk's x (kmc.fit.l1_equilibrium on the "
                "box's L1), the layers below the random alloy")
    return "; start: the random alloy (L1 at the bulk's x, not its segregation equilibrium)"


def l1_solute_records(settings) -> list[dict]:
    """The equilibrium L1 solute fraction of the nucleation box's L1 (the chain the equilibrium
    start draws from), for a set with a solute."""
    from kmc.fit import EQUILIBRIUM_CELLS, l1_equilibrium
    if settings.composition.solute_fraction <= 0 or settings.lattice.orientation != "001":
        return []
    eq = l1_equilibrium(settings, cells=(NUCLEATION_CELLS[0], NUCLEATION_CELLS[1], EQUILIBRIUM_CELLS[2]))
    return [_rec("l1_solute_fraction_equilibrium", eq.fraction, "1", eq.fraction_sem,
                 f"semi-grand-canonical Metropolis chain of a {NUCLEATION_CELLS[0]}x{NUCLEATION_CELLS[1]} L1 "
                 "against the bulk's solute fraction (kmc.fit.l1_equilibrium, the model's L1 energy); error: "
                 "block means")]


def measured_records(settings, S, void_sizes, l1: str) -> list[dict]:
    """The steady interface's L1 vacancy fraction (any chemistry: Mg included) and the capture and
    emission of placed voids, on the NUCLEATION_CELLS box at acceleration 1."""
    from kmc.interface_rates import voids
    box = settings.replaced(lattice={"cells": list(NUCLEATION_CELLS)})
    pop = steady.layer_population(box, S, (1, 2, 3, 4), 20_000, 100_000, l1)
    recs = [_rec("l1_vacancy_fraction_measured", float(pop.fraction[0]), "1", float(pop.standard_error[0]),
                 "steady interface (reservoir at S c_eq below the box, acceleration 1), time average of 4 "
                 f"replicas x 1e5 events; error: se over replicas{start_text(settings, l1)}")]
    for n in void_sizes:
        ce = voids.capture_emission(box, S, n, events=20_000)
        how = (f"placed cap void of {n} vacancies at the steady interface, 4 replicas x 2e4 events; +1 / -1 "
               "steps of the largest interface cluster per void per s while within +-2 of n; error: ratio "
               f"estimator over replicas{start_text(settings, 'random')}")
        if ce.time_s > 0:
            recs.append(_rec(f"void_capture_n{n}", float(ce.capture_per_s), "1/s", float(ce.capture_se_per_s), how,
                             size=n))
            recs.append(_rec(f"void_emission_n{n}", float(ce.emission_per_s), "1/s", float(ce.emission_se_per_s),
                             how, size=n))
            continue
        # no time within the window: the rates are 0/0, said instead of printed as NaN
        unmeasured = (f"{how}; not measured: the largest interface cluster never stayed within +-2 of {n} for a "
                      f"clock tick (at S = {S:.4g} the interface's own L1 vacancies, "
                      f"{float(pop.fraction[0]):.2g} of L1, join the placed void)")
        recs += [_rec(f"void_{kind}_n{n}", None, "1/s", None, unmeasured, size=n) for kind in ("capture", "emission")]
    return recs


def nucleation_record(settings, S, trials, flux_events, seeds, l1: str, runner=None,
                      cells=NUCLEATION_CELLS, ladder=LADDER, waiting_events=None, min_hits=30,
                      max_trials=1500, method: str = "auto") -> dict:
    """I(S) on the ``cells`` box, by the method the state calls for (the record's ``method_used``
    and ``method_reason`` say which and why):

    first, one direct run per seed from the steady interface towards lambda_B (``waiting_events``
    events each, default ``flux_events``), which also measures the fraction of its snapshots before
    nucleation (up to its last visit to A) that the interface spends in FFS's basin A
    (lambda < lambda_0).  If that fraction is below IN_BASIN_MIN, the
    interface does not live in A and FFS's flux would count crossings out of a state it hardly
    visits (at high S it never does, and FFS reported 0): the waiting times give the rate.  If every
    run nucleated, nucleation is fast and the waiting times give it directly too.  Otherwise FFS,
    with a 95 % upper bound where a stage sees no success, unless some direct runs nucleated: then
    a bare FFS 0 would contradict them, and the waiting times give the rate.  ``method`` "waiting" or "ffs" overrides
    the choice (the reason then says so).  ``runner``: where the pieces run
    (kmc.interface_rates.pieces; None: here)."""
    from kmc.interface_rates import ffs, pieces
    if method not in METHODS:
        raise ValueError(f"method = {method!r}; allowed: one of {', '.join(map(repr, METHODS))}")
    runner = runner or pieces.SERIAL
    box = settings.replaced(lattice={"cells": list(cells)})
    box_text = "x".join(map(str, cells))
    waiting_events = flux_events if waiting_events is None else waiting_events
    w = ffs.waiting_times(box, S, ladder[0], ladder[-1], seeds, max_events=waiting_events, l1=l1, runner=runner)
    state = (f"{w.reached} of {w.runs} direct runs reached lambda_B = {ladder[-1]} within {waiting_events} events; "
             f"before nucleation the interface spent {w.fraction_in_A:.3g} of its snapshots in A "
             f"(lambda < {ladder[0]})")
    waiting = dict(waiting_runs=w.runs, waiting_reached=w.reached, waiting_time_sampled_s=w.time_sampled_s,
                   fraction_in_A=w.fraction_in_A)
    why = f"{state}: " + ("asked for (--method waiting)" if method == "waiting" else
                          f"below {IN_BASIN_MIN:g}, so FFS's basin is not where the interface lives"
                          if w.fraction_in_A < IN_BASIN_MIN else "nucleation is fast")
    r = None
    if not (method == "waiting" or (method == "auto" and (w.fraction_in_A < IN_BASIN_MIN or w.reached == w.runs))):
        r = ffs.forward_flux(box, S, ladder, seeds=seeds, flux_events=flux_events, trials=trials, min_hits=min_hits,
                             max_trials=max_trials, l1=l1, runner=runner)
        why = f"{state}: " + ("asked for (--method ffs)" if method == "ffs" else
                              "the interface lives in A and nucleation is rare on this time scale")
    spent = dict(events=w.events + (r.events if r else 0), wall_s=round(w.wall_s + (r.wall_s if r else 0.0), 1))
    if r is not None and r.rate_per_um2_s == 0.0 and w.reached > 0 and method == "auto":
        why += f"; but FFS measured no rate ({r.note}) while {w.reached} direct runs nucleated: the waiting times"
        r = None
    if r is None:
        how = (f"direct waiting times on a {box_text}-cell box at acceleration 1: {w.runs} runs (seeds {list(seeds)}) "
               "from the steady start, clocked from it (no warm-up: the first nucleus of a fresh interface), each "
               f"until the largest interface cluster reaches {ladder[-1]} or {waiting_events} events; I = N / (sum "
               "of the times run) / area; error: Poisson, I / sqrt(N); with N = 0 a 95 % upper bound 3 / (time "
               f"sampled) / area{start_text(settings, l1)}")
        note = (f"no nucleation in {w.time_sampled_s:.3g} s sampled; 95 % upper bound {w.upper_bound_per_um2_s:.3g} "
                "per um^2 per s" if w.reached == 0 else "")
        return _rec("nucleation_rate", w.rate_per_um2_s, "1/(um^2 s)", w.rate_se_per_um2_s, how,
                    method_used="waiting times", method_reason=why, upper_bound=w.upper_bound_per_um2_s,
                    interfaces=[ladder[0], ladder[-1]], note=note, l1_start=l1, **waiting, **spent)
    how = (f"forward-flux sampling on a {box_text}-cell box at acceleration 1, order parameter the largest "
           f"interface vacancy cluster, interfaces {list(ladder)}, >= {trials} trials and {min_hits} successes per "
           f"stage (at most {max_trials}); error: flux replicas + each stage's ratio estimator over its parent "
           f"configurations{start_text(settings, l1)}")
    return _rec("nucleation_rate", r.rate_per_um2_s, "1/(um^2 s)", r.rate_se_per_um2_s, how,
                method_used="FFS", method_reason=why, upper_bound=r.upper_bound_per_um2_s,
                probabilities=r.probabilities,
                interfaces=list(ladder), flux_per_s=r.flux.flux_per_s, note=r.note, l1_start=l1, **waiting, **spent)


def _scan_point(settings, S, options: dict) -> dict:
    return nucleation_record(settings, S, **options)


def nucleation_scan(settings, supersaturations, runner=None, **options) -> list[dict]:
    """I(S) at each of ``supersaturations``: nucleation_record (its ``options``) at each S, every S one
    piece on ``runner`` (kmc.interface_rates.pieces; None: here), run serially inside, so the
    records are the serial ones whatever the workers; in the order given."""
    from kmc.interface_rates import pieces
    runner = runner or pieces.SERIAL
    return runner.map(_scan_point, [(settings, float(S), options) for S in supersaturations],
                      f"I(S) scan of {len(supersaturations)} points")


def defect_records(settings, S, trials, defects=DEFECTS, runner=None) -> list[dict]:
    """The probability that a pre-existing defect (kmc.interface_rates.defects) grows to LADDER[-1] rather
    than dissolving below LADDER[0], on the NUCLEATION_CELLS box, with its binomial error."""
    from kmc.interface_rates import defects as dfx
    box = settings.replaced(lattice={"cells": list(NUCLEATION_CELLS)})
    recs = []
    for kind, size in defects:
        g = dfx.growth_probability(box, S, kind, size, LADDER[0], LADDER[-1], trials, runner=runner)
        what = f"cap void of {size} vacancies" if kind == "cap" else \
            f"pit {size} L1 sites wide ({g.vacancies} missing L1 + L2 atoms)"
        label = f"n{size}" if kind == "cap" else f"w{size}"
        recs.append(_rec(f"defect_growth_probability_{kind}_{label}", g.probability, "1", g.standard_error,
                         f"{what} placed in the steady start; fraction of {trials} independent runs whose largest "
                         f"interface cluster reaches {LADDER[-1]} before falling below {LADDER[0]}; error: binomial"
                         f"{start_text(settings, 'random')}", defect=kind, size=size, vacancies=g.vacancies,
                         grown=g.grown, trials=trials))
    return recs


def edge_energy_records(settings) -> list[dict]:
    """The formation energy of a vacancy at a pore's mouth and at its rim's contact site, exact from the
    model's total energy (pure host; kmc.interface_rates.edge.formation_energies), for a set with an
    [electrolyte] table."""
    from kmc.interface_rates import edge
    if "electrolyte" not in settings.to_dict():
        return []
    e = edge.formation_energies(settings)
    how = ("isolated vacancy, the atom moved to the bulk, from the model's total energy on the edge box with the "
           "set's pore as a stripe (pure host): {}")
    return [_rec("pore_mouth_vacancy_formation", e["mouth"], "eV", 0.0,
                 how.format("an L1 site at the pore's mouth, a free (001) surface site of the bulk terms")),
            _rec("rim_vacancy_formation", e["rim"], "eV", 0.0,
                 how.format("the contact site next to the mouth (its metal receded one layer)"))]


def edge_records(settings, S, trials: int) -> list[dict]:
    """The pore's edge (kmc.interface_rates.edge, kmc.physics.pore_edge.RECORDS): the fates of a vacancy
    below the pore's receded surface, at the rim and 4 and 10 sites from it, and of a one-site gap along
    the rim (half as many trials), each with its binomial error; the capture length fitted to the
    contact's fates; the refill's mean time with its standard error, in the box's clock."""
    from kmc.interface_rates import edge
    from kmc.physics.pore_edge import fit_capture_length
    box = "x".join(map(str, edge.EDGE_CELLS))
    where = (f"the steady interface at S on a {box}-cell box with the set's pore as a stripe, its mouth emptied "
             f"(edge.placed_occupancy); independent trials, each from its own seeded start{start_text(settings, steady.l1_start(settings))}")
    recs = []

    def fate_record(name, f, what):
        return _rec(name, f.probability, "1", f.standard_error,
                    f"{what}: {f.captured} of {f.trials} decided trials ({f.undecided} undecided in {f.events} events); "
                    f"{where}; error: binomial", captured=f.captured, trials=f.trials, undecided=f.undecided,
                    mean_time_s=f.mean_time_s)
    wall = edge.fates(settings, S, "wall", trials=trials)
    recs.append(fate_record("wall_capture_probability", wall,
                            "a vacancy one layer below the pore's receded surface goes into the pore's void before a "
                            f"vacancy outside it reaches layer {edge.ESCAPE_LAYER + 1} (an unbiased walk to a perfectly "
                            "absorbing floor: 2/3)"))
    contact = [edge.fates(settings, S, "contact", d, trials=trials) for d in edge.CAPTURE_DISTANCES]
    for d, f in zip(edge.CAPTURE_DISTANCES, contact):
        name = "rim_capture_probability" if d == 1 else f"capture_probability_{d}_sites"
        recs.append(fate_record(name, f, f"a vacancy in the contact layer {d} site(s) from the rim goes into the "
                                         "pore's void (the contact whole again) before one outside it reaches layer "
                                         f"{edge.ESCAPE_LAYER + 1}"))
    ell, ell_se = fit_capture_length(edge.CAPTURE_DISTANCES, [f.captured for f in contact], [f.trials for f in contact],
                                     edge.contact_columns(settings))
    a_nm = settings.lattice.lattice_constant_A / 10
    recs.append(_rec("capture_length_nm", ell * a_nm, "nm", ell_se * a_nm,
                     "kmc.physics.pore_edge.capture_profile (lateral diffusion with a first-order loss between the box's "
                     "two rims) fitted to the capture probabilities above by binomial maximum likelihood; error: the "
                     "likelihood's curvature"))
    gap = edge.fates(settings, S, "gap", trials=max(trials // 2, 1))
    recs.append(fate_record("rim_refill_probability", gap,
                            "a one-site gap along the whole rim (contact sites next to the mouth vacant) refills, its "
                            "vacancies into the pore's metal, before it widens to two sites"))
    recs.append(_rec("rim_refill_time_s", gap.mean_time_s, "s", gap.time_se_s,
                     f"mean time of the refills above, the box's clock (hops at {box_hop_prefactor_Hz(settings):.4g} Hz); "
                     "a lower bound: the trials undecided at the event cap are left out; error: se over the refilled "
                     "trials", hop_prefactor_Hz=box_hop_prefactor_Hz(settings)))
    return recs


def format_table(result: dict) -> str:
    lines = [f"{result['params']}  T = {result['temperature_K']:g} K  S = {result['supersaturation']:.4g} "
             f"(cell: {result['cell_supersaturation']:.4g})"
             + (f"  L1 start: {result['l1_start']}" if result.get("solute_fraction") else "")]
    for r in result["rates"]:
        v = r["value"]
        err = f" +- {r['error']:.2g}" if r["error"] else ""
        extra = f"  (< {r['upper_bound']:.3g})" if r.get("upper_bound") else ""
        shown = f"{v:12.4g}" if v is not None else f"{'not measured':>12}"    # the method says why
        name = r["name"] + (f" @ x = {r['subsurface_solute_fraction']:g}" if "subsurface_solute_fraction" in r else "")
        lines.append(f"  {name:<36} {shown}{err} {r['unit'] if v is not None else ''}{extra}".rstrip())
        lines.append(f"      {r['method']}")
    lines.append(f"  wall time {result['wall_s']:.1f} s")
    return "\n".join(lines)
