"""The interface before stripping (issue 47 item 5; docs/mechanics.md section 5a): the gap the
seed's assembly leaves between the foil and the electrolyte's face.

Seed 004 presses its Li6PS5Cl pellet at 375 MPa against a Ti plunger polished to RMS < 0.1 um,
so the pellet's face replicates the plunger's; the rolled Li foil is then pressed onto it at
50 MPa for 30 s and held at the test pressure.  Here:

* the electrolyte's face is a self-affine profile (a line through an isotropic surface: 1-D power
  spectrum C(q) ~ q^-(1 + 2H)) with the seed's RMS bound over the section and the Hurst exponent
  of polished engineering surfaces (the [meso] keys give the sources); the long cut-off is the
  section (all of the measured RMS is put inside the view, which is an upper bound), the short
  one the lateral resolution (with H = 0.85 the wavelengths below 0.25 um carry < 1 % of the RMS);
* the metal starts flat, touching the face's highest point: the gap is h_max - h(x) (the rough
  rigid face and the flat creeping metal in the gap picture of kmc.resolved, for slopes << 1);
* the press is kmc.resolved's own mechanics at the assembly pressure for the assembly time, with
  no current (nothing is stripped, no vacancy is made); the foil then carries the test pressure.

The Li foil's own roughness has no source and is left out (a soft foil pressed at ~65x its flow
stress takes the hard face's shape, so only what the press cannot close matters).  The hold at the
test pressure before stripping has no stated duration and is taken as none (a hold only closes)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

# The press's steps are this fraction of the time loop's gap limit (a quarter of a gap + 10 nm per
# step): islands widen and weaken as they spread, which the explicit step lags.  Li at 50 MPa on the
# shipped face with the size effect at 105 MPa (a sensitivity): contact after 30 s 0.880 at 1, 0.997
# at 0.5, 1.000 at 0.25 and 0.125.  Faces 10-60x rougher that stay open are not converged in the
# step (their residual contact moves by up to ~0.15, not monotonically; docs/mechanics.md 5a).
PRESS_STEP_FRACTION = 0.25


@dataclass(frozen=True)
class Assembly:
    """What the press is given: pressure (MPa), time (s), and the electrolyte face's roughness."""
    pressure_MPa: float
    time_s: float
    roughness_rms_um: float
    hurst_exponent: float


def assembly_of(meso) -> Assembly | None:
    """The press a [meso] table asks for (the keys' sources: params/*.toml); None for no press
    (meso.assembly_pressure_MPa = 0 or a flat face): the run starts in full contact."""
    if not (meso.assembly_pressure_MPa > 0 and meso.electrolyte_roughness_rms_um > 0):
        return None
    return Assembly(meso.assembly_pressure_MPa, meso.assembly_time_s, meso.electrolyte_roughness_rms_um,
                    meso.electrolyte_roughness_hurst)


@dataclass
class AssemblyResult:
    profile_um: np.ndarray                # the electrolyte face's height, per cell (mean 0)
    gap_um: np.ndarray                    # the gap when the press ends
    steps: int
    contact_before: float                 # share of cells touching before the press
    contact_after: float
    closed_at_s: float | None             # when the last gap closed (None: open when the press ends)


def self_affine_profile_um(cells: int, cell_um: float, rms_um: float, hurst: float,
                           rng: np.random.Generator) -> np.ndarray:
    """A periodic line of ``cells`` heights (um, mean 0, RMS ``rms_um``) through an isotropic
    self-affine surface of Hurst exponent ``hurst``: Fourier filtering with 1-D power spectrum
    C(q) ~ q^-(1 + 2H) from q = 2 pi / (cells cell_um) to the Nyquist wavevector, random phases."""
    if cells < 4:
        raise ValueError(f"cells = {cells}; allowed: >= 4")
    k = np.arange(1, cells // 2 + 1)
    q = 2 * math.pi * k / (cells * cell_um)
    amplitude = q ** (-(1 + 2 * hurst) / 2)
    spectrum = np.zeros(cells // 2 + 1, complex)
    spectrum[1:] = amplitude * (rng.standard_normal(k.size) + 1j * rng.standard_normal(k.size))
    if cells % 2 == 0:
        spectrum[-1] = spectrum[-1].real                # the Nyquist term of a real line
    h = np.fft.irfft(spectrum, n=cells)
    h -= h.mean()
    return h * (rms_um / math.sqrt(np.mean(h * h)))


def press(model, assembly: Assembly, rng: np.random.Generator, profile_um: np.ndarray | None = None) -> AssemblyResult:
    """The assembly on ``model``'s section (a kmc.resolved.ResolvedInterface): the profile, the
    gap it leaves under a flat foil, and the press at ``assembly.pressure_MPa`` for
    ``assembly.time_s`` with no current, stepped by the model's own step control.  ``profile_um``:
    a face other than the section's self-affine line (an area's: kmc.resolved.area.area_face_um)."""
    inp = model.inp
    profile = (self_affine_profile_um(inp.cells, inp.cell_um, assembly.roughness_rms_um, assembly.hurst_exponent, rng)
               if profile_um is None else profile_um)
    gap = profile.max() - profile
    pressing = type(model)(replace(inp, current_mA_cm2=0.0, strip_velocity_um_s=0.0,
                                   pressure_MPa=assembly.pressure_MPa, measured_nucleation=()),
                           mechanics=model.mechanics)
    st = pressing.initial_state(gap)
    contact_before = float((st.gap_um == 0).mean())
    steps = 0
    while st.time_s < assembly.time_s * (1 - 1e-12) and (st.gap_um > 0).any():
        now = pressing.rates(st)                         # the highest point touches: never NoContactError
        # the time loop's limits without its floor (kept there against a roof about to close
        # under stripping): a foil pressed onto one asperity at 50 MPa spreads in nanoseconds
        largest = pressing.step_limit_s(st, now)
        dt = min([largest, assembly.time_s - st.time_s, PRESS_STEP_FRACTION * min(pressing.last_limits.values(),
                                                                                   default=largest)])
        pressing.step(st, now, dt)
        steps += 1
    closed = not (st.gap_um > 0).any()
    return AssemblyResult(profile, st.gap_um, steps, contact_before, float((st.gap_um == 0).mean()),
                          st.time_s if closed else None)
