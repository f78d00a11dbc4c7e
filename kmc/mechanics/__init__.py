"""The electrode's creep mechanics (docs/mechanics.md).

* ``law``: Li's flow law (kmc.physics.flow) as a strength factor per feature (``FeatureStrength``) on
  the creep law of kmc.physics.creep (``NortonLaw``, taken at the cell's temperature);
* ``norton``: the finite-element solver of an incompressible power-law solid (scikit-fem,
  Taylor-Hood P2/P1, plane strain or axisymmetric; ``NortonSolver``, ``Constraints``);
* ``foil``: the foil section between the rigid plunger and the flat electrolyte, unilateral contact
  (``FoilSolver``): the full solve the reduced operator is checked against;
* ``cell``, ``table``: one period of a periodic array of voids, and the table of them;
* ``reduced``: the reduced operator the time loop calls (``ReducedFoil``);
* ``exact``, ``checks``: exact answers and the problems that compare the solver with them.

Imports numpy, scipy, scikit-fem and nothing of the package but ``kmc.units`` and ``kmc.physics``.
"""
