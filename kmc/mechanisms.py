"""The deformation-mechanism map of a parameter set's metal (docs/mechanics.md §10): what Li's flow law
(kmc.physics.flow) says a feature of each size needs to keep pace with stripping, and which mechanism
carries it.  Numbers only; the figure is kmc.plot_flow's, the command ``kmc params mechanisms``.

A feature of width w keeps pace with the metal receding at v (the set's current at full contact) by
flowing at v / w (docs/physics.md §11).  At that rate the map gives the flow stress of an embedded
feature at the contact (its sinks: the contact, electrode.contact_sink_rate_m_s), the mechanism that
carries it, and four references: the bulk law (no size effect), the strain gradient alone (dislocation
sources at every size), sinks as good as a free surface, and a free-standing pillar (Xu et al. 2017: the law
of before the flow law)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc import units
from kmc.config import Settings
from kmc.model import cell_transport, contact_sink_rate_um_s, flow_law
from kmc.physics.flow import EMBEDDED, FREE_STANDING, MECHANISMS, FlowLaw

TABLE_SIZES_um = (0.04, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 100.0)
# The overrides that make the law the bulk law at every size with a contact that absorbs no vacancy: the
# mechanics of before any size effect or contact sink, bit for bit (kmc.resolved.gap.GapInputs.feature_strength)
BULK_LAW_OVERRIDES = ("flow.strain_gradient_length_um=0", "flow.onset_hardness_MPa=0", "electrode.contact_sink_rate_m_s=0")
# Xu's pillar law on every island and pore: the mechanics of docs/mechanics.md §5b before §10 (a sensitivity)
PILLAR_OVERRIDES = ("flow.interface_features='free_standing'",)


@dataclass(frozen=True)
class MechanismMap:
    """A parameter set's flow law with the rate stripping asks for and the contact's sink."""
    law: FlowLaw
    recession_velocity_um_s: float     # v = i Omega / e at full contact
    contact_sink_rate_um_s: float      # kappa of the contact (electrode.contact_sink_rate_m_s)
    current_mA_cm2: float
    name: str

    @classmethod
    def of(cls, settings: Settings) -> "MechanismMap":
        cell = cell_transport(settings)
        return cls(flow_law(settings, cell), cell.recession_velocity_um_s, contact_sink_rate_um_s(settings),
                   cell.current_mA_cm2, settings.model.name)

    def rows(self, sizes_um=TABLE_SIZES_um) -> list[dict]:
        """One row per feature size: the rate v / w, the embedded feature's flow stress there and its
        dominant mechanism, and the three references (MPa)."""
        law, kappa = self.law, self.contact_sink_rate_um_s
        d = np.asarray(sizes_um, float)
        rate = self.recession_velocity_um_s / d
        stress = law.flow_stress_MPa(rate, d, kappa, EMBEDDED)
        dominant = law.dominant(stress, d, kappa, EMBEDDED)
        bulk = law.with_(strain_gradient_length_um=0.0, onset=None).flow_stress_MPa(rate, d, 0.0, EMBEDDED)
        gradient = law.with_(onset=None).flow_stress_MPa(rate, d, kappa, EMBEDDED)
        nh = law.flow_stress_MPa(rate, d, math.inf, EMBEDDED)
        pillar = law.flow_stress_MPa(rate, d, 0.0, FREE_STANDING)
        return [{"size_um": float(d[i]), "strain_rate_per_s": float(rate[i]), "flow_stress_MPa": float(stress[i]),
                 "mechanism": MECHANISMS[int(dominant[i])], "bulk_law_MPa": float(bulk[i]),
                 "sources_everywhere_MPa": float(gradient[i]),
                 "free_surface_sinks_MPa": float(nh[i]), "free_standing_pillar_MPa": float(pillar[i])}
                for i in range(d.size)]

    def header(self) -> dict:
        """The law's inputs the map depends on, for its caption and the table's head."""
        law = self.law
        return {"parameter_set": self.name, "temperature_K": law.temperature_K, "current_mA_cm2": self.current_mA_cm2,
                "recession_velocity_um_s": self.recession_velocity_um_s,
                "contact_sink_rate_m_s": self.contact_sink_rate_um_s / units.UM_PER_M,
                "strain_gradient_length_um": law.strain_gradient_length_um,
                "vacancy_transport_cm2_s": law.vacancy_diffusivity_um2_s * law.equilibrium_fraction * 1e-8,
                "diffusion_geometry_factor": law.geometry_factor, "yield_stress_MPa": law.yield_stress_MPa,
                "interface_reaction_below_um": (law.geometry_factor * law.vacancy_diffusivity_um2_s
                                                / self.contact_sink_rate_um_s if self.contact_sink_rate_um_s > 0
                                                else math.inf)}

    def field(self, sizes_um: np.ndarray, stresses_MPa: np.ndarray):
        """(log10 strain rate, dominant mechanism index) of an embedded feature at the contact over the
        grid sizes x stresses (rows: stresses)."""
        d, s = np.meshgrid(sizes_um, stresses_MPa)
        kappa = self.contact_sink_rate_um_s
        rate = self.law.strain_rate_per_s(s, d, kappa, EMBEDDED)
        return np.log10(np.maximum(rate, 1e-300)), self.law.dominant(s, d, kappa, EMBEDDED)

