"""The engine's rule book, compiled: the rate of every event the engine evaluates, each rule written
once (the plain-number physics every scale shares is kmc.physics; these are its per-event kernels).

* ``barrier_eV``: Ea = max(E_kra + dE/2, dE, 0), so k(dE)/k(-dE) = exp(-dE/kT) exactly (E_kra is
  symmetric in the two end points).  Used by the model's tables, the engine and the tests' oracle.
* ``kra_eV``: the kinetically resolved activation barrier of a hop: the solute's own when the
  solute hops, the host's "near solute" value when a solute neighbours either end, else the host's.
* ``hop_energy_change_eV``: the local form of the configuration energy difference of a hop (the
  model's ``EnergyModel.total_energy`` is the reference it must equal; tests check it after every
  event).  A new energy term is added here and there, and nowhere else; if it reaches further
  than the two neighbour shells of a hop's ends, the engine's refresh reach must follow
  (ARCHITECTURE.md).
* ``bond_vacancy_rates`` / ``embedding_vacancy_rates``: the 9 slot rates of one vacancy: 8 hops
  (in the bulk a table lookup for the bond form, ``bulk_embedding_hop_rate`` from counts and
  neighbour sums for the second-moment form; near the interface the local energy difference)
  and the exit into the bulk below; ``bond_hop_rate_into`` / ``embedding_hop_rate_into``: one slot.

* The macroscopic event classes (kmc.engine.events applies them): creep's law and its thinning
  (``creep_bound_per_s``, ``creep_void_sites_needed``), the species an exiting vacancy leaves
  behind (``exit_replacement_species``), the solute exchange with the electrode
  (``exchange_total_per_s``, ``exchange_new_species``).

The engine (kmc.engine) decides which rates to recompute after an event and picks
events; it calls whole rules of this package (rows, slots, class totals, drawn species) and
nothing else of the physics (tests/test_architecture.py checks it).  ``RateModel`` groups what
these kernels read.  Modules: ``hops`` (the barrier and KRA rules, RateModel, the exp memo),
``deep`` (the deep box's factor), ``fast`` (a hop's process type for fast-event scaling), ``bulk`` (bulk-class layers: the bond form's table, the
second-moment form from counts), ``interface`` (the local energy difference near the interface,
rows and slots), ``classes`` (creep, exit, exchange, stripping).
"""
from kmc.rate_rules.hops import (CLASS_BOTTOM, CLASS_BULK, CLASS_L1, EXIT_SLOT, LAYER_INTERFACE, LAYER_TABLE,
                                 LAYER_TABLE_INTERIOR, LAYER_TABLE_SEAM, N_CLASSES, N_SLOTS, RATE_CACHE_SIZE,
                                 RateModel, arrhenius_memo, barrier_eV, energy_row, fill_barriers_eV, kra_eV)
from kmc.rate_rules.deep import (deep_hop_factor, deep_hop_factor_at, deep_hop_factor_interior, deep_row,
                                 deep_row_interior, metal_neighbours)
from kmc.rate_rules.bulk import (BULK_STRIDE_HOST, BULK_STRIDE_SOLUTE, BULK_STRIDE_X, BY_WORD_ATOM_SIDE, BY_WORD_GAIN,
                                 BY_WORD_LOSS, BY_WORD_ROWS, BY_WORD_VACANCY_SIDE, EMBED_WORD_MASK, EMBED_WORD_SHIFT,
                                 bulk_by_word, bulk_embedding_hop_rate, bulk_embedding_rate_into_interior,
                                 bulk_embedding_vacancy_rates, bulk_embedding_vacancy_rates_interior,
                                 bulk_hop_rate_into, bulk_hop_rate_into_interior, bulk_key, bulk_loss_sum_eV,
                                 bulk_rate, bulk_rate_lookup, bulk_vacancy_rates, bulk_vacancy_rates_interior,
                                 embed_change, embed_gain_sum, embed_loss_eV, loss_sum_eV, word_index)
from kmc.rate_rules.interface import (BOND_BULK, BOND_L1_L1, BOND_L1_L2, BOND_L2_L1, bond_class, bond_hop_rate_into,
                                      bond_vacancy_rates, embedding_hop_rate_into, embedding_vacancy_rates,
                                      hop_bond_change_eV, hop_energy_change_eV, interface_hop_rate, l1_pair_change_eV)
from kmc.rate_rules.fast import FAST_DOWN, FAST_MAX_LAYERS, FAST_UP, N_FAST_TYPES, fast_scaled, fast_type
from kmc.rate_rules.classes import (creep_bound_per_s, creep_void_sites_needed, exchange_new_species,
                                    exchange_total_per_s, exit_replacement_species, host_strip_weight,
                                    removal_energy_eV, strip_site_weight)

__all__ = ["CLASS_BOTTOM", "CLASS_BULK", "CLASS_L1", "EXIT_SLOT", "LAYER_INTERFACE", "LAYER_TABLE",
           "LAYER_TABLE_INTERIOR", "LAYER_TABLE_SEAM", "N_CLASSES", "N_SLOTS", "RATE_CACHE_SIZE", "RateModel",
           "arrhenius_memo", "barrier_eV", "energy_row", "fill_barriers_eV", "kra_eV", "deep_hop_factor", "deep_hop_factor_at",
           "deep_hop_factor_interior", "deep_row", "deep_row_interior", "metal_neighbours", "BULK_STRIDE_HOST", "BULK_STRIDE_SOLUTE",
           "BULK_STRIDE_X", "BY_WORD_ATOM_SIDE", "BY_WORD_GAIN", "BY_WORD_LOSS", "BY_WORD_ROWS", "BY_WORD_VACANCY_SIDE",
           "EMBED_WORD_MASK", "EMBED_WORD_SHIFT", "bulk_by_word", "bulk_embedding_hop_rate", "bulk_embedding_rate_into_interior", "bulk_embedding_vacancy_rates",
           "bulk_embedding_vacancy_rates_interior", "bulk_hop_rate_into", "bulk_hop_rate_into_interior", "bulk_key", "bulk_loss_sum_eV", "bulk_rate",
           "bulk_rate_lookup", "bulk_vacancy_rates", "bulk_vacancy_rates_interior", "embed_change", "embed_gain_sum", "embed_loss_eV",
           "loss_sum_eV", "word_index", "BOND_BULK", "BOND_L1_L1", "BOND_L1_L2", "BOND_L2_L1",
           "bond_class", "bond_hop_rate_into", "bond_vacancy_rates", "embedding_hop_rate_into", "embedding_vacancy_rates", "hop_bond_change_eV",
           "hop_energy_change_eV", "interface_hop_rate", "l1_pair_change_eV", "creep_bound_per_s", "creep_void_sites_needed", "exchange_new_species",
           "exchange_total_per_s", "exit_replacement_species", "host_strip_weight", "removal_energy_eV", "strip_site_weight",
           "FAST_DOWN", "FAST_MAX_LAYERS", "FAST_UP", "N_FAST_TYPES", "fast_scaled", "fast_type"]
