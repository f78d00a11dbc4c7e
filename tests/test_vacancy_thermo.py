"""Vacancies at finite temperature (docs/vacancy_thermodynamics.md): the harmonic formulas on spring models with known
answers, the symmetry reconstruction of force constants, the cached CHGNet numbers against the
summary they are reported in, and the measured-diffusion data file.

The formula tests need numpy only; the cache tests need ase (the atomistic extra) but no potential."""
import importlib.util
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from kmc.atomistic import harmonic
from regimes import NO_FORMATION_ENTROPY

ROOT = Path(__file__).resolve().parent.parent
HAS_ASE = importlib.util.find_spec("ase") is not None
needs_ase = pytest.mark.skipif(not HAS_ASE, reason="the atomistic extra (ase) is not installed")


def spring_force_constants(positions, cell, cutoff_A, k_eV_A2, isotropic=False):
    """Force constants of first-neighbour springs (all pairs closer than cutoff_A, minimum image):
    central springs -k e e^T, or with isotropic=True scalar springs -k I (x, y, z uncoupled)."""
    positions = np.asarray(positions, float)
    n = len(positions)
    phi = np.zeros((n, 3, n, 3))
    inv = np.linalg.inv(cell)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            d = (positions[j] - positions[i]) @ inv
            d -= np.round(d)
            r = d @ cell
            dist = np.linalg.norm(r)
            if dist < cutoff_A:
                block = k_eV_A2 * (np.eye(3) if isotropic else np.outer(r, r) / dist ** 2)
                phi[i, :, j, :] -= block
                phi[i, :, i, :] += block
    return phi.reshape(3 * n, 3 * n)


def bcc(a, n):
    basis = np.array([[0, 0, 0], [0.5, 0.5, 0.5]])
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)], float)
    return ((cells[:, None, :] + basis[None]).reshape(-1, 3) * a), np.eye(3) * n * a


def test_frequency_units_on_a_two_atom_spring():
    """Two masses on one spring: omega^2 = k (1/m1 + 1/m2); k = 1 eV/A^2, m = 1 amu gives
    omega = 9.8227e13 rad/s (sqrt(eV / (A^2 amu))), i.e. nu = 15.633 THz for one mass."""
    k, m1, m2 = 1.3, 6.94, 24.305
    phi = np.zeros((2, 3, 2, 3))
    for a in range(3):   # isotropic spring: the same along x, y, z
        phi[0, a, 0, a] = phi[1, a, 1, a] = k
        phi[0, a, 1, a] = phi[1, a, 0, a] = -k
    nu = harmonic.frequencies_THz(phi.reshape(6, 6), [m1, m2])
    expected = math.sqrt(k * (1 / m1 + 1 / m2)) * 9.8227e13 / (2 * math.pi) / 1e12
    assert np.allclose(np.sort(nu)[3:], expected, rtol=1e-4)
    assert np.allclose(np.sort(nu)[:3], 0, atol=1e-6)
    assert harmonic.THZ_PER_SQRT_EIG == pytest.approx(15.633, rel=1e-4)


def test_formation_entropy_of_a_vacancy_in_a_spring_chain():
    """Ring of N atoms with scalar springs (x, y, z uncoupled): remove one and the ring opens into
    a free chain of N - 1.  Per direction, the ring's modes 2w sin(pi j / N) multiply to N w^(N-1)
    and the free chain's 2w sin(pi k / 2(N-1)) to sqrt(N-1) w^(N-2), so the classical formation
    entropy is 3 [(N-2)/(N-1) ln N - ln(N-1)/2] k_B exactly."""
    N, a = 12, 3.0
    ring = np.array([[i * a, 0, 0] for i in range(N)], float)
    cell = np.diag([N * a, 50.0, 50.0])
    perfect = harmonic.frequencies_THz(spring_force_constants(ring, cell, 1.1 * a, 0.7, isotropic=True), [6.94] * N)
    chain = ring[1:]
    defect = harmonic.frequencies_THz(spring_force_constants(chain, cell, 1.1 * a, 0.7, isotropic=True),
                                      [6.94] * (N - 1))
    expected = 3 * ((N - 2) / (N - 1) * math.log(N) - 0.5 * math.log(N - 1))
    assert harmonic.formation_entropy_kB(defect, perfect) == pytest.approx(expected, rel=1e-9)
    # the quantum entropy tends to the classical one at high T and vanishes toward 0 K
    assert harmonic.formation_entropy_kB(defect, perfect, 1e5) == pytest.approx(expected, rel=1e-4)
    assert abs(harmonic.formation_entropy_kB(defect, perfect, 0.5)) < 1e-3
    # F_vib(T) = -T S_f in the classical limit (the zero-point part is then negligible)
    kT = harmonic.KB_EV_K * 1e5
    assert harmonic.formation_free_energy_eV(defect, perfect, 1e5) == pytest.approx(-kT * expected, rel=1e-3)


def random_modes(rng, masses, omega2, n_atoms):
    """Force constants with prescribed mass-weighted eigenvalues omega2 (3N - 3 of them) and the
    three uniform translations as zero modes."""
    m = np.repeat(masses, 3)
    translations = np.zeros((3 * n_atoms, 3))
    for a in range(3):
        translations[a::3, a] = np.sqrt(masses)
    translations /= np.linalg.norm(translations, axis=0)
    basis, _ = np.linalg.qr(np.hstack([translations, rng.normal(size=(3 * n_atoms, 3 * n_atoms - 3))]))
    dyn = basis @ np.diag(np.concatenate([np.zeros(3), omega2])) @ basis.T
    return dyn * np.sqrt(np.outer(m, m))


def test_vineyard_prefactor_is_the_ratio_of_mode_products():
    """Minimum and saddle with prescribed modes: nu* = prod nu(min) / prod of the saddle's real
    modes, the imaginary one and the translations left out; anything else is refused."""
    rng = np.random.default_rng(3)
    n = 4
    masses = np.array([6.94, 6.94, 24.305, 6.94])
    nu_min = rng.uniform(2, 9, 3 * n - 3)
    nu_sad = np.concatenate([[-1.7], rng.uniform(2, 9, 3 * n - 4)])
    unit = harmonic.THZ_PER_SQRT_EIG
    eig_min = (nu_min / unit) ** 2
    eig_sad = np.sign(nu_sad) * (nu_sad / unit) ** 2
    f_min = harmonic.frequencies_THz(random_modes(rng, masses, eig_min, n), masses)
    f_sad = harmonic.frequencies_THz(random_modes(rng, masses, eig_sad, n), masses)
    expected = np.prod(nu_min) / np.prod(nu_sad[1:]) * 1e12
    assert harmonic.vineyard_prefactor_Hz(f_min, f_sad) == pytest.approx(expected, rel=1e-8)
    # the quantum-harmonic prefactor tends to Vineyard's at high T
    assert harmonic.quantum_prefactor_Hz(f_min, f_sad, 1e6) == pytest.approx(expected, rel=1e-3)
    with pytest.raises(ValueError, match="imaginary"):
        harmonic.vineyard_prefactor_Hz(f_sad, f_sad)      # a "minimum" with an unstable mode
    with pytest.raises(ValueError, match="imaginary"):
        harmonic.vineyard_prefactor_Hz(f_min, f_min)      # a "saddle" without one


def test_point_symmetry_rebuilds_the_force_constants_of_a_vacancy_cell():
    """BCC 3x3x3 with central first-neighbour springs and one vacancy: the 48 operations about
    the vacancy, the columns of one atom per orbit, and force_constants_from_columns give back
    the whole matrix; the perfect crystal's from atom 0's column by translations."""
    positions, cell = bcc(3.4, 3)
    full = spring_force_constants(positions, cell, 3.0, 0.9)
    n = len(positions)
    rebuilt = harmonic.translation_column_force_constants(full.reshape(n, 3, n, 3)[:, :, 0, :], positions, cell)
    assert np.allclose(rebuilt, full, atol=1e-12)
    vac = positions[1:]
    full_vac = spring_force_constants(vac, cell, 3.0, 0.9)
    ops = harmonic.point_symmetry(vac, cell, positions[0])
    assert len(ops) == 48
    reps = harmonic.orbit_representatives(len(vac), ops)
    assert len(reps) < 8                      # shells, not atoms, are displaced
    blocks = full_vac.reshape(len(vac), 3, len(vac), 3)
    rebuilt = harmonic.force_constants_from_columns({j: blocks[:, :, j, :] for j in reps}, len(vac), ops)
    assert np.allclose(rebuilt, full_vac, atol=1e-12)
    # the hop saddle (an atom at the midpoint of two empty sites) keeps the 12 operations of D3d
    saddle = vac.copy()
    hop = int(np.argmin(np.linalg.norm(saddle - 0.5 * np.array([3.4] * 3), axis=1)))
    saddle[hop] = 0.25 * np.array([3.4] * 3)
    assert len(harmonic.point_symmetry(saddle, cell, saddle[hop])) == 12


def test_finite_differences_of_a_quadratic_energy_are_exact():
    """column_from_forces on the forces of a harmonic model reproduces its force constants."""
    positions, cell = bcc(3.4, 2)
    n = len(positions)
    phi = spring_force_constants(positions, cell, 3.0, 1.1).reshape(n, 3, n, 3)
    step = 0.01
    forces = {s: np.stack([-(phi[:, :, 5, b]) * s * step for b in range(3)], axis=2) for s in (1, -1)}
    assert np.allclose(harmonic.column_from_forces(forces[1], forces[-1], step), phi[:, :, 5, :])


def test_a_few_directions_and_the_site_group_give_a_whole_column():
    """site_directions picks one direction for an atom on the vacancy's 3-fold axis, and
    column_from_directions rebuilds its whole column from that single response."""
    positions, cell = bcc(3.4, 3)
    vac = positions[1:]
    n = len(vac)
    phi = spring_force_constants(vac, cell, 3.0, 0.9).reshape(n, 3, n, 3)
    ops = harmonic.point_symmetry(vac, cell, positions[0])
    for j in harmonic.orbit_representatives(n, ops):
        dirs = harmonic.site_directions(j, ops)
        responses = {tuple(d): phi[:, :, j, :] @ d for d in dirs}
        assert np.allclose(harmonic.column_from_directions(responses, j, ops), phi[:, :, j, :], atol=1e-12)
    nn = int(np.argmin(np.linalg.norm(vac - 1.7, axis=1)))      # the first neighbour at (a/2)(1,1,1)
    assert len(harmonic.site_directions(nn, ops)) == 1


# ----------------------------------------------------------------------------- measured data, D*(T)
def test_measured_diffusion_file_is_complete_and_self_consistent():
    """Every measured entry names its method, range, source and how far it was checked; its
    range lies in solid Li; the room-temperature value quoted in the battery literature lies
    within a factor 2 of the tracer law at its temperature (two entries of one quantity)."""
    from kmc.atomistic import self_diffusion as sd
    measured = sd.load_measured()
    assert measured
    for m in measured:
        assert m.method and m.source and m.checked
        assert m.D0_cm2_s > 0 and 0.3 < m.Q_eV < 1.0
        assert 0 < m.T_min_K < m.T_max_K <= sd.LI_MELTING_K
    data = tomllib.loads(sd.MEASURED.read_text())
    for key, point in data["point"].items():
        law = next(m for m in measured if m.species == point["species"] and m.host == point["host"])
        assert 0.5 < point["D_cm2_s"] / float(law.diffusivity_cm2_s(point["T_K"])) < 2.0, key
    assert "mg_in_li" in data["references_without_numbers"]


def test_the_parameter_sets_tracer_diffusivity_is_the_models_own():
    """The atomistic layer's D* of the parameter sets' inputs (benchmarks/vacancy_thermo.py's row
    (p)) is f x kmc.model's D_v x c_eq of params/li_li2s, so the comparison cannot drift from the
    model: 5.76e-11 cm^2/s at 298 K with S_f = 2.75 k_B (0.82 of the measured law), and the
    phase-1 row (i) without S_f is the same set at S_f = 0, 3.68e-12."""
    from kmc.atomistic import self_diffusion as sd
    from kmc.config import load_config, resolve_params
    from kmc.model import build_energy_model, build_lattice, vacancy_diffusivity_A2_s, vacancy_equilibrium_fraction
    settings = load_config(resolve_params("li_li2s"))
    lattice = build_lattice(settings)
    model = build_energy_model(settings, lattice)
    bnd, kin = settings.boundary, settings.kinetics
    assert bnd.vacancy_formation_entropy_kB == 2.75
    shipped = sd.VacancyInputs("p", bnd.vacancy_formation_eV, kin.kra_host_eV, kin.attempt_frequency_Hz,
                               bnd.vacancy_formation_entropy_kB, settings.lattice.lattice_constant_A)
    d_v = vacancy_diffusivity_A2_s(model, lattice) * 1e-16
    expected = sd.CORRELATION_FACTOR * d_v * vacancy_equilibrium_fraction(settings, model.kT_eV)
    T = settings.conditions.temperature_K
    assert float(shipped.tracer_diffusivity_cm2_s(T)) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(5.76e-11, rel=0.01)
    phase1 = sd.input_sets(sd.summary())[0]
    assert float(phase1.tracer_diffusivity_cm2_s(T)) == pytest.approx(expected * math.exp(-2.75), rel=1e-12)
    # Arrhenius exactly: the apparent activation energy is E_f + E_m
    T = np.linspace(250, 450, 9)
    assert sd.apparent_activation_eV(T, shipped.tracer_diffusivity_cm2_s(T)) == pytest.approx(0.555, abs=1e-9)


def test_every_c_eq_follows_the_formation_entropy_key():
    """boundary.vacancy_formation_entropy_kB multiplies every continuum c_eq by exp(S_f): the cell's
    (kmc.model.cell_transport) and kmc meso's inputs; the cell's S - 1 falls by the same factor
    (134.3 -> 9.52 for params/li_li2s.toml at 0.5 mA/cm^2, sinks at 100 um).  The kMC box, whose
    energetics carry no entropy, keeps its own equilibrium exp(-E_f/kT): the sinks' reservoir
    concentration (build_event_rates) and the L1 vacancy fraction kmc rates reports at a given S do
    not move; its hops carry exp(S_f) instead (kmc.model.box_hop_prefactor_Hz), so the box's D_v c_eq
    is the cell's, the reservoir exchanges exp(S_f) times faster, and the box's interface sits at the
    cell's S (kmc.acceleration at A = 1) (docs/vacancy_thermodynamics.md section 8)."""
    from kmc import acceleration
    from kmc.config import load_config, resolve_params
    from kmc.interface_rates import steady
    from kmc.launch import cell_inputs_of
    from kmc.model import (box_vacancy_diffusivity_A2_s, box_vacancy_equilibrium_fraction, build_energy_model,
                           build_event_rates, build_lattice, cell_transport)
    shipped = load_config(resolve_params("li_li2s"))
    plain = shipped.with_overrides([NO_FORMATION_ENTROPY])
    factor = math.exp(2.75)
    cells = [cell_transport(s) for s in (shipped, plain)]
    assert cells[1].vacancy_equilibrium_fraction == math.exp(-0.50 / cells[1].kT_eV)   # bit for bit at S_f = 0
    assert cells[0].vacancy_equilibrium_fraction == pytest.approx(factor * cells[1].vacancy_equilibrium_fraction,
                                                                  rel=1e-12)
    assert cells[0].supersaturation - 1 == pytest.approx((cells[1].supersaturation - 1) / factor, rel=1e-12)
    assert (cells[0].supersaturation, cells[1].supersaturation) == pytest.approx((9.519, 134.26), abs=0.01)
    rates, box_dc = [], []
    for s in (shipped, plain):
        lat = build_lattice(s)
        model = build_energy_model(s, lat)
        rates.append(build_event_rates(s, lat, model))
        box_dc.append(box_vacancy_diffusivity_A2_s(model, lat) * 1e-8 * box_vacancy_equilibrium_fraction(s, model.kT_eV))
        assert model.hop_prefactor_Hz == pytest.approx(s.kinetics.attempt_frequency_Hz
                                                       * math.exp(s.boundary.vacancy_formation_entropy_kB), rel=1e-15)
    assert rates[0].bulk_vacancy_concentration == rates[1].bulk_vacancy_concentration == math.exp(-0.50 / cells[1].kT_eV)
    assert rates[0].create_total_per_s == pytest.approx(factor * rates[1].create_total_per_s, rel=1e-12)
    # the box's transport is the cell's (D_v c_eq in um^2/s), and so is its interface's S at A = 1
    for box, cell, s in zip(box_dc, cells, (shipped, plain)):
        assert box == pytest.approx(cell.vacancy_diffusivity_um2_s * cell.vacancy_equilibrium_fraction, rel=1e-12)
        assert acceleration.supersaturation_at(s, 1.0) == pytest.approx(cell.supersaturation, rel=1e-12)
    assert cell_inputs_of(shipped, "disc").vacancy_equilibrium_fraction == cells[0].vacancy_equilibrium_fraction
    l1 = [float(steady.equilibrium_layer_fractions(s, 10.0, 1)[0]) for s in (shipped, plain)]
    assert l1[0] == l1[1] > 0


def test_the_formation_entropy_on_the_box_hops_is_a_change_of_clock():
    """A common factor on every rate of the steady interface (kmc.interface_rates.steady: no
    stripping, no creep at 0 MPa) leaves its trajectory as it is and divides its clock by the factor:
    the ground of kmc.physics.nucleation.rate_at_hop_prefactor, which scales the [meso] I(S) rows
    from the hops they were measured at to a set's own.  S_f = ln 4 makes the factor exactly 4.0 in
    floating point, so the two runs must agree bit for bit."""
    from kmc.config import load_config, resolve_params
    from kmc.interface_rates import steady
    from kmc.simulation import Simulation
    base = load_config(resolve_params("li_li2s"), ["lattice.cells=[6,6,4]", "conditions.stack_pressure_MPa=0"])
    sims = []
    for s_f in (0.0, math.log(4.0)):
        settings = steady.steady_settings(base.with_overrides([f"boundary.vacancy_formation_entropy_kB={s_f!r}"]), 300.0)
        sim = Simulation(settings)
        sim.step(200_000)
        sims.append(sim)
    assert sims[1].model.hop_prefactor_Hz == 4.0 * sims[0].model.hop_prefactor_Hz
    assert sims[0].events == sims[1].events == 200_000
    assert np.array_equal(sims[0].occupancy, sims[1].occupancy)
    assert sims[1].time_s == pytest.approx(sims[0].time_s / 4.0, rel=1e-12)


def test_meso_reads_the_nucleation_rows_at_the_sets_own_hops(tmp_path):
    """The [meso] I(S) rows were measured at meso.nucleation_rate_hop_prefactor_Hz; kmc meso reads
    them at the set's box hops (x exp(S_f) for the shipped rows, measured at nu), and kmc rates
    --write-meso converts a new row to the file's prefactor, so the rows stay in one clock."""
    from kmc.config import load_config, resolve_params
    from kmc.launch import cell_inputs_of
    shipped = load_config(resolve_params("li_li2s"))
    plain = shipped.with_overrides([NO_FORMATION_ENTROPY])
    assert shipped.meso.nucleation_rate_hop_prefactor_Hz == 1e13 == shipped.kinetics.attempt_frequency_Hz
    given = list(zip(shipped.meso.nucleation_rate_S, shipped.meso.nucleation_rate_per_um2_s))
    assert [tuple(r) for r in cell_inputs_of(plain, "disc").measured_nucleation] == [(float(S), float(i)) for S, i in given]
    for (S, i), row in zip(given, cell_inputs_of(shipped, "disc").measured_nucleation):
        assert row == (S, pytest.approx(i * math.exp(2.75), rel=1e-12))
    # a row measured at 16e13 Hz goes into a file whose rows are at 1e13 divided by 16
    from kmc.cli.rates import _write_meso
    path = tmp_path / "li.toml"
    path.write_text(Path(resolve_params("li_li2s")).read_text())
    result = {"supersaturation": 250.0, "l1_start": "n/a", "box_hop_prefactor_Hz": 16e13,
              "rates": [{"name": "nucleation_rate", "value": 32.0, "error": 1.0, "method_used": "ffs", "events": 1,
                         "note": ""}]}
    _write_meso(path, result, "li_li2s")
    meso = load_config(path).meso
    assert dict(zip(meso.nucleation_rate_S, meso.nucleation_rate_per_um2_s))[250] == pytest.approx(2.0)


def test_a_missing_or_bad_formation_entropy_is_refused(tmp_path):
    """The key is physics, so a parameter file must give it: one message naming it and what is
    allowed; out-of-range values likewise."""
    from kmc.config import ConfigError, load_config, resolve_params
    text = Path(resolve_params("li_li2s")).read_text()
    assert text.count("\nvacancy_formation_entropy_kB = ") == 1
    missing = tmp_path / "no_entropy.toml"
    missing.write_text("\n".join(l for l in text.splitlines() if not l.startswith("vacancy_formation_entropy_kB")))
    with pytest.raises(ConfigError, match=r"missing required key boundary\.vacancy_formation_entropy_kB; allowed"):
        load_config(missing)
    for bad in ("-0.5", "11", "nan", "'high'"):
        with pytest.raises(ConfigError, match=r"boundary\.vacancy_formation_entropy_kB.*(allowed|expected)"):
            load_config(resolve_params("li_li2s"), [f"boundary.vacancy_formation_entropy_kB={bad}"])


def test_supersaturation_scales_as_the_projects_own_formula():
    """S - 1 = J Omega L / (D_v c_eq): the atomistic layer's rescaling of today's S to other inputs
    agrees with kmc.model.cell_supersaturation run on a parameter set with those inputs
    (here twice the attempt frequency, 0.01 eV more formation energy and S_f 1 k_B instead of 2.75)."""
    from kmc.atomistic import self_diffusion as sd
    from kmc.config import load_config, resolve_params
    from kmc.model import cell_supersaturation
    base = load_config(resolve_params("li_li2s"))
    other = base.with_overrides(["kinetics.attempt_frequency_Hz=2e13", "boundary.vacancy_formation_eV=0.51",
                                 "boundary.vacancy_formation_entropy_kB=1.0"])
    today = sd.VacancyInputs("today", 0.50, 0.055, 1e13, 2.75)
    changed = sd.VacancyInputs("other", 0.51, 0.055, 2e13, 1.0)
    assert sd.supersaturation(cell_supersaturation(base), today, changed, 298.0) == pytest.approx(
        cell_supersaturation(other), rel=1e-9)


def test_the_measured_anchor_reproduces_the_measured_prefactor():
    """(iv): nu exp(S_f) = D0 / (f a^2), so D0 of the model equals the measured D0 exactly."""
    from kmc.atomistic import self_diffusion as sd
    law = sd.load_measured()[0]
    anchor = sd.measured_anchor(law)
    assert sd.arrhenius_prefactor_cm2_s(anchor) == pytest.approx(law.D0_cm2_s, rel=1e-12)


@needs_ase
def test_summary_toml_is_what_the_cache_gives():
    """kmc/atomistic/vacancy_thermo.toml is written from vacancy_thermo_chgnet.json; recomputing
    each cell's numbers from the cache (no potential: frequencies are stored) gives the file."""
    from kmc.atomistic import vacancy_thermo as vt
    stored = tomllib.loads(vt.SUMMARY.read_text())
    cells = [int(n[1:]) for n in stored["cells"]]
    again = vt.results(vt.Thermo(compute=False, log=lambda m: None), cells)["cells"]
    checked = 0
    for n, row in stored["cells"].items():
        for key, value in row.items():
            if key in again[n[1:]]:
                assert again[n[1:]][key] == pytest.approx(value, rel=1e-5, abs=1e-9), (n, key)
                checked += 1
    assert checked >= 10


DFT_SUMMARIES = [(2, 4, ("perfect", "vacancy")), (2, 4, ("perfect", "vacancy", "saddle_host"))]


@needs_ase
@pytest.mark.parametrize("repeat, kpts, states", DFT_SUMMARIES, ids=["16-sites", "16-sites-saddle"])
def test_dft_check_summary_is_what_its_cache_gives(repeat, kpts, states):
    """benchmarks/vacancy_thermo_dft.py stores every SCF's forces; recomputing each cell's summary
    from them (no gpaw needed, no SCF: a missing entry fails) gives the stored summary; the PBE
    crystal is dynamically stable (three translations, no imaginary mode) and the host saddle a
    first-order one (vineyard_prefactor_Hz refuses any other)."""
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import vacancy_thermo_dft as dft
    store = dft.Store()
    store.put = lambda *a: pytest.fail("the summary must come from the cache alone")
    default = (dft.REPEAT, dft.KPTS[0])
    dft.configure(repeat, kpts)
    try:
        stored = store.get(dft.summary_key(states))
        assert stored is not None, dft.summary_key(states)
        again = dft.summary(store, stored["lattice_constant_A"], list(states), log=lambda m: None)
    finally:
        dft.configure(*default)
    compared = [k for k, v in stored.items() if isinstance(v, float) and k != "lattice_constant_A"]
    assert {"E_f_eV", "S_f_classical_kB", "S_f_constant_pressure_kB", "formation_volume_atomic_volumes"} <= set(compared)
    for name in compared:
        assert again[name] == pytest.approx(stored[name], rel=1e-9), name
    assert min(stored["lowest_modes_perfect_THz"][3:]) > 0
    if "saddle_host" in states:
        assert stored["saddle_imaginary_THz"] < 0 < stored["nu_host_THz"]


@needs_ase
def test_the_states_are_the_hops_they_are_named_for():
    """The vacancy of mg_v1 is a first neighbour of the Mg, that of mg_v2 a second neighbour (a),
    and the two vacancies are first neighbours of each other (mg_v1 -> mg_v2 is one host hop next
    to the Mg); the saddles hold one atom at the midpoint of two empty first-neighbour sites."""
    from kmc.atomistic import vacancy_thermo as vt
    a, n = 3.4, 3
    perfect = vt.build_state("perfect", a, n)[0]
    cell = np.asarray(perfect.cell)

    def vacancy_site(state):
        atoms = vt.build_state(state, a, n)[0]
        dist = harmonic._image_distances(perfect.positions, atoms.positions, cell).min(axis=1)
        empty = perfect.positions[dist > 0.5]
        assert len(empty) == 1
        return empty[0], atoms

    def mic(x, y):
        return float(harmonic._image_distances(np.array([x]), np.array([y]), cell)[0, 0])

    v1, atoms1 = vacancy_site("mg_v1")
    v2, atoms2 = vacancy_site("mg_v2")
    mg = atoms1.positions[atoms1.get_chemical_symbols().index("Mg")]
    assert np.allclose(mg, atoms2.positions[atoms2.get_chemical_symbols().index("Mg")])
    nn, second = a * math.sqrt(3) / 2, a
    assert mic(v1, mg) == pytest.approx(nn)
    assert mic(v2, mg) == pytest.approx(second)
    assert mic(v1, v2) == pytest.approx(nn)
    for state, hopper in (("saddle_host", "Li"), ("saddle_mg", "Mg")):
        atoms, held, _ = vt.build_state(state, a, n)
        assert atoms.get_chemical_symbols()[held] == hopper
        assert len(atoms) == len(perfect) - 1
        assert np.allclose(atoms.positions[held], 0.25 * a * np.ones(3))
