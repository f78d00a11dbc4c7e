"""What the mechanics adds to the metal's creep law (kmc.physics.creep.NortonLaw, driven by the von
Mises stress: eps_e = eps0 (sigma_e / sigma0)^n, eps_dot_ij = (3/2) (eps_e / sigma_e) s_ij, sigma_e =
sqrt(3/2 s:s), eps_e = sqrt(2/3 eps_dot:eps_dot), so uniaxial tension sigma creeps at eps0
(sigma/sigma0)^n, the form in which seed 003 writes its law and Masias et al. 2019 measured Li).  The
mechanics takes the law's isothermal view at the cell's temperature (``NortonLaw.at``).  Here: Li's flow
law (kmc.physics.flow) as the reduced operators take it, a strength factor per feature.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kmc.physics.creep import NortonLaw
from kmc.physics.flow import EMBEDDED, FlowLaw

# The widths the factor is tabulated over (um): a tenth of the smallest cell to a foil a hundred times wider
# than the seed's section, log-spaced; beyond them the end values hold (a factor of ~1 at the top).
TABLE_WIDTHS_um = (1e-3, 1e4)
TABLE_POINTS = 281


@dataclass(frozen=True)
class FeatureStrength:
    """Li's flow law (kmc.physics.flow.FlowLaw) as a Norton solid's reference stress: a feature of width w
    creeps as the mechanics' Norton law with its reference stress raised by

        f(w) = sigma_flow(rate(w), w) / sigma_Norton(rate(w)),

    the flow law's stress for a feature of that size and kind, with its sinks (the contact's rate constant
    kappa, um/s: diffusional flow in parallel), over the bulk law's, both at the rate that decides the
    feature: rate(w) = v / w, the rate at which it keeps pace with the metal's recession v (the stripping's,
    at full contact; without a current, ``rate_without_current_per_s``: the press's, 1 / its time).  Exact
    at that rate, and wherever dislocation flow dominates (then f is the law's size factor g f_x, whatever
    the rate); elsewhere the diffusional branch is carried with the Norton exponent instead of its 1.  The
    factor is tabulated once in ln w (``TABLE_WIDTHS_um``); which size a feature has is the caller's
    (kmc.mechanics.reduced: the smaller of a void's width and its islands', a held pore's own width)."""
    flow: FlowLaw
    sink_rate_um_s: float
    recession_velocity_um_s: float
    rate_without_current_per_s: float = 1.0 / 30.0
    kind: str = EMBEDDED
    _table: object = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not self.sink_rate_um_s >= 0 or not self.recession_velocity_um_s >= 0 \
                or not self.rate_without_current_per_s > 0:
            raise ValueError(f"FeatureStrength: kappa {self.sink_rate_um_s!r} um/s, v {self.recession_velocity_um_s!r} "
                             f"um/s, rate {self.rate_without_current_per_s!r} /s; allowed: kappa >= 0, v >= 0, rate > 0")
        w = np.geomspace(*TABLE_WIDTHS_um, TABLE_POINTS)
        factor = self.flow.strength_over_bulk(self.rate_per_s(w), w, self.sink_rate_um_s, self.kind)
        object.__setattr__(self, "_table", self.flow.size_table(w, factor))

    def rate_per_s(self, width_um):
        """The rate that decides a feature of this width (the class docstring)."""
        w = np.asarray(width_um, float)
        if self.recession_velocity_um_s > 0:
            return self.recession_velocity_um_s / w
        return np.full(w.shape, self.rate_without_current_per_s)

    def stress_factor(self, law: NortonLaw, width_um):
        """f(w) for features of these widths (um; a number or an array).  ``law``: the operator's Norton law,
        which must be the flow law's (its reference stress is what f raises)."""
        if law != self.flow.creep:
            raise ValueError(f"FeatureStrength: the operator's law {law} is not the flow law's {self.flow.creep}")
        return self._table(width_um)
