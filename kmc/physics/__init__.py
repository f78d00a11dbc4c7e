"""The physics every scale shares, once: functions of plain numbers (floats, arrays, small frozen
dataclasses), no Settings inside a formula, so the energy model, the engine's rule book
(kmc.rate_rules), the cell-scale models (kmc.cell, kmc.disc, kmc.resolved), the rate measurements
(kmc.interface_rates), the mechanics and the command line all evaluate the same rule with the same arithmetic.

* ``vacancy``: the equilibrium vacancy fraction, BCC's atomic volume, the vacancy diffusivity from
  a hop rate, the quasi-static supersaturation balance and its inverse, the exit rate to the sinks, the
  contact as a vacancy sink (its annihilation, the balance with it, its physical bracket);
* ``creep``: the Norton (power-law) creep law (with its temperature factor, its isothermal view and
  its inverse) and the stress focusing on the contact;
* ``flow``: Li's flow at every size, rate and temperature, one law: the Norton law raised for a feature's
  size (the strain gradient or the onset of dislocation flow when embedded, pillars when free-standing), in
  parallel with diffusional flow bounded by the feature's sinks, and the solid solution's factor;
* ``nucleation``: an interface void as a spherical cap (one angle convention), the classical
  critical size and barrier, and I(S) from measured rows;
* ``solute``: vacancy-mechanism solute diffusion and the enrichment of a solute stripping leaves;
* ``surface``: the Young-Dupre wetting angle, surface diffusion's reshaping time of a void (Mullins);
* ``electrochemistry``: the Butler-Volmer current and its inverse, the overpotential of current
  focused into the contact, the galvanostatic potential of a contact, and the metal's recession under
  a current (Faraday);
* ``thermal``: the Boltzmann factor and the ideal solution's exchange potential;
* ``alloy``: what a solute that stripping leaves behind does at the contact: Butler-Volmer with Li's
  activity and L1's solute (Bazant 2013), the solute's excess profile below a receding contact, and
  the solid-solution bound on creep;
* ``pore_edge``: the records the kMC measures at a pore of the electrolyte's face (their units and
  clock), their reader, and the capture profile along the contact between two rims;
* ``contact_vacancy``: where the vacancies stripping makes at the contact go (the records the kMC
  measures per composition below the contact, their reader), and how a contact sink carries over
  between compositions;
* ``foil_face``: the metal's face as made (the foil's roughness, films, grain boundaries) and how it
  meets the pellet's face: the capillary entry pressure of a pore per metal, what a press flattens.

tests/test_architecture.py fails when another module writes one of these formulas itself.
"""
