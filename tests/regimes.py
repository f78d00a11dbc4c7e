"""The regimes the tests run in, each named here once with its reason (tests/conftest.py lists the fixtures
built on them; tests/test_regimes.py fails on a test that writes one inline): the two vacancy regimes below,
the face and metal of before the pellet's face and the perfect interface of before the box's pore.

The shipped regime: the parameter sets as they ship, with the vacancy's formation entropy
S_f = boundary.vacancy_formation_entropy_kB = 2.75 k_B (docs/vacancy_thermodynamics.md).  It
raises c_eq exp(2.75) = 15.6-fold, so the cell's supersaturation at 0.5 mA/cm^2, 298 K and sinks
100 um away, S = 1 + J Omega L / (D_v c_eq) (kmc.model.cell_supersaturation), is 9.52.  There the
[meso] I(S) rows (continued below their first row, S = 100, at the set's own hops) give 7e-12
nuclei per um^2 per s: 0.005 voids expected on the 160 um square over a 4 mAh/cm^2 run, and in a
kMC box a void of the size critical at S = 134 shrinks.  The kMC box measures S against its own
exp(-E_f/kT) and carries the entropy on its hops instead (kmc.model.box_hop_prefactor_Hz): at a
given S a box with S_f runs the same trajectory as one without, its clock exp(S_f) faster
(tests/test_vacancy_thermo.py::test_the_formation_entropy_on_the_box_hops_is_a_change_of_clock).

NO_FORMATION_ENTROPY (S_f = 0): the sets' 0 K vacancy inputs, the regime before S_f.  The
cell's S is ~134, where voids nucleate (the [meso] I(S) rows, the kMC's boxes), and the box's hops
run at kinetics.attempt_frequency_Hz itself.  The mechanism tests are built here because at the
shipped S nothing they test happens within a test's time (nucleation, growth and capture at a
void, the disc and resolved models' voids), or because their event counts were chosen for hops at
nu (a test that needs a solute hop or a used-up electrode cell within N events says so where it
uses this).  The S_f = 0 numbers are not the model's prediction for the shipped cells.

Each mechanism family is also tested in the shipped regime, at least once (SHIPPED_REGIME_TESTS;
a test id with [shipped] is the shipped case of a test that takes conftest's vacancy_regime;
tests/test_regimes.py checks that each named test exists).
"""

NO_FORMATION_ENTROPY = "boundary.vacancy_formation_entropy_kB=0"

# The bulk law at every size and no contact sink: Li's flow law (kmc.physics.flow) without its size effect and
# the contact absorbing no vacancy, the mechanics of before any size effect or sink (a run with it is the bulk law's
# bit for bit: kmc.resolved.gap.GapInputs.feature_strength).
BULK_LAW = ["flow.strain_gradient_length_um=0", "flow.onset_hardness_MPa=0", "electrode.contact_sink_rate_m_s=0"]
# The face and the metal of before the pellet's face: a fully dense pellet's face (DENSE_FACE: no open pores) and the
# bulk law.  For the tests of the gap model's own mechanisms (nucleation, growth, splits, the press of a rough
# face), which the pores, the size effect and the sink would only slow down; tests/test_pellet.py and
# tests/test_resolved.py's shipped cases test the face as made.  Each alone is also what a test of the pores or
# of the flow law sets against the shipped face.
DENSE_FACE = "electrolyte.relative_density=1"
OLD_FACE = [DENSE_FACE, *BULK_LAW]
# Xu's pillar law on every island and pore (Li's flow law's free-standing limit; docs/mechanics.md §5b): islands
# that hardly creep.  For tests/test_contract.py's equivalence of the area and the section on a depth-uniform map,
# which holds to round-off with the pillar law (and the contact's sink) but not where the islands creep: with the
# bulk law or the shipped embedded law the area's operator reads a tunnel's ligament otherwise than the section
# (measured on main's operators: 0.20 um apart after 0.1 mAh/cm^2 at 1 MPa with the bulk law).
FREE_STANDING_ISLANDS = "flow.interface_features='free_standing'"
# The contact absorbing no vacancy (electrode.contact_sink_rate_m_s = 0, the cells of before the sink): the cell's
# supersaturation is then the balance with the sinks 100 um away (S = 9.52 shipped, 134 at S_f = 0), which the disc
# model's mechanism tests (tests/test_meso.py: capture, the steady flux, nucleation bursts, runaways) are built on;
# the shipped sink lowers S at the contact (tests/test_contact_sink.py tests it).
NO_CONTACT_SINK = "electrode.contact_sink_rate_m_s=0"

# The perfect interface: every L1 site of the kMC box under the electrolyte (kmc.pore; docs/pore_edge.md),
# the box of every run before the pore.  Now the shipped sets' box holds one pore's edge
# (electrolyte.box_pore = 'stripe', relative_density 0.83: an open stripe of L1 sites at the pore's mouth,
# with no electrolyte terms, no stripping and not counted as contact).  For the tests of the contact's own
# physics and of code that takes every L1 site as equivalent or as contact (closed-form segregation, the
# swaps' local energy, hand-made L1 frames, a run that starts at contact 1); tests/test_pore.py and
# tests/test_pore_edge_rates.py test the pore.
PERFECT_INTERFACE = "electrolyte.box_pore='none'"
# The perfect interface's run of before the pore: its 5.5 monolayers (2e-4 mAh/cm2, the shipped stop
# charge then).  The sets now stop at ~0.1 monolayer (4e-6 mAh/cm2), because at the pore's mouth each
# stripped atom costs 3e5-1.5e6 events (params/*.toml, [run]); over that shorter charge the Li-Mg box's
# solute enrichment A h / delta stays within the acceleration check's tolerance, so the acceleration
# warning of Li-Mg at A = 1e4 is the old run's (kmc.acceleration.solute_enrichment_excess).
PERFECT_INTERFACE_RUN = [PERFECT_INTERFACE, "run.stop_stripped_mAh_cm2=2e-4"]

# Every regime above, by name: a test names the constant, never its text (tests/test_regimes.py fails on a
# test file that writes one of these settings inline, in any spelling of its value; BULK_LAW's three settings
# are not here: each alone is a switch a test of the flow law or of the sink sets on its own)
REGIMES = {"NO_FORMATION_ENTROPY": NO_FORMATION_ENTROPY, "DENSE_FACE": DENSE_FACE, "PERFECT_INTERFACE": PERFECT_INTERFACE,
           "FREE_STANDING_ISLANDS": FREE_STANDING_ISLANDS}

SHIPPED_REGIME_TESTS = {
    "nucleation": [
        "tests/test_meso.py::test_nothing_nucleates_at_the_shipped_S_and_voids_burst_out_at_S_f_0",
        "tests/test_readme_outputs.py::test_the_readmes_meso_commands_print_what_it_shows",
    ],
    "capture and emission": [
        "tests/test_physical_kinetics.py::test_at_the_shipped_S_a_void_of_the_critical_size_at_134_loses_more_than_it_captures",
        "tests/test_meso.py::test_one_void_takes_its_share_of_the_vacancies[shipped]",
        "tests/test_resolved.py::test_voids_and_sinks_take_what_stripping_injects[shipped]",
    ],
    # hops off (the refill is the only event), so no S enters: the shipped set as it is
    "creep refill": [
        "tests/test_creep_contact.py::test_single_void_closes_at_the_rule_rate",
        "tests/test_creep_contact.py::test_larger_void_closes_first_and_thinning_is_exact",
    ],
    "stripping focus": [
        "tests/test_meso.py::test_current_focusing_around_one_void[shipped]",
        "tests/test_strip_weights.py::test_weakly_bound_atoms_strip_first_in_the_ratio_of_their_weights",
        "tests/test_creep_contact.py::test_isolated_atoms_are_never_stripped",
    ],
    "solute enrichment": [
        "tests/test_kinetics_enrichment.py::test_enrichment_depth_is_solute_diffusivity_over_recession_and_shrinks_with_acceleration",
        "tests/test_electrode.py::test_solute_diffusivity_is_the_models_own",
    ],
    # the rates at S = 10 with the shipped entropy on the box's hops; the counts at a reservoir dense
    # enough to count them (the law is linear in the bottom's vacancy fraction)
    "exchange with the electrode": [
        "tests/test_electrode.py::test_exit_rate_is_the_quasi_static_escape_to_the_sinks",
        "tests/test_electrode.py::test_exits_and_entries_follow_their_rates_and_flux_scales_as_one_over_L",
    ],
    "meso voids": [
        "tests/test_meso_reference.py::test_meso_runs_are_the_reference_within_the_numerics",
        "tests/test_meso.py::test_one_void_takes_its_share_of_the_vacancies[shipped]",
        "tests/test_resolved.py::test_voids_and_sinks_take_what_stripping_injects[shipped]",
    ],
}
