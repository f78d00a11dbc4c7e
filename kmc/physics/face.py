"""The electrolyte's face as the metal meets it (docs/mechanics.md
sections 5a and 5b, docs/area.md section 1): the envelope of a cold-pressed pellet's particle tops, an isotropic
self-affine surface, less the pellet's open pores (kmc.physics.pores), on a line of cells (a section) or on
a periodic plane of cells (an area).

* the envelope: Fourier filtering of random phases with the power spectrum of an isotropic self-affine
  surface of Hurst exponent H, C(q) ~ q^-2(1 + H) on the plane and, on a line through it, the 1-D
  spectrum C(q) ~ q^-(1 + 2H), from the view's longest wavelength to the Nyquist wavevector, mean 0 and
  the given RMS over the view (the seed's plunger polish bounds it; the [meso] keys give the sources);
* the pores: the pellet's Boolean model of spheres (kmc.physics.pores), whose cut by the face every line
  of cells sees with the same stereology (open fraction phi = 1 - relative density, pores as deep as wide).

The envelope is drawn first from the stream, so a dense face is the face of before the pores, draw for
draw.  Units: um."""
from __future__ import annotations

import math

import numpy as np

from kmc.physics.pores import face_pore_depth_map_um, face_pore_depth_um, porosity


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


def self_affine_surface_um(shape: tuple[int, int], cell_um: float, rms_um: float, hurst: float,
                           rng: np.random.Generator) -> np.ndarray:
    """A periodic (depth, width) plane of heights (um, mean 0, RMS ``rms_um``) of an isotropic self-affine
    surface of Hurst exponent ``hurst``: Fourier filtering with the 2-D power spectrum C(q) ~ q^-2(1 + H)
    (amplitude q^-(1 + H)) from the plane's longest wavelength to the Nyquist wavevector, random phases."""
    nz, nx = shape
    kz = 2 * math.pi * np.fft.fftfreq(nz, d=cell_um)
    kx = 2 * math.pi * np.fft.rfftfreq(nx, d=cell_um)
    q = np.hypot(kz[:, None], kx[None, :])
    amplitude = np.zeros(q.shape)
    amplitude[q > 0] = q[q > 0] ** (-(1 + hurst))
    spectrum = amplitude * (rng.standard_normal(q.shape) + 1j * rng.standard_normal(q.shape))
    surface = np.fft.irfft2(spectrum, s=(nz, nx))
    surface -= surface.mean()
    rms = math.sqrt(float(np.mean(surface * surface)))
    return surface * (rms_um / rms) if rms > 0 else surface


def line_face_um(cells: int, cell_um: float, roughness_rms_um: float, hurst: float, relative_density: float,
                 particle_diameter_um: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(the face's height, the open pore's depth) per cell of a periodic line of ``cells`` cells (a
    section): the envelope (self_affine_profile_um; flat at RMS 0) less the pores' depth
    (kmc.physics.pores.face_pore_depth_um)."""
    envelope = (self_affine_profile_um(cells, cell_um, roughness_rms_um, hurst, rng) if roughness_rms_um > 0
                else np.zeros(cells))
    phi = porosity(relative_density)
    depth = face_pore_depth_um(cells, cell_um, phi, particle_diameter_um, rng) if phi > 0 else np.zeros(cells)
    return envelope - depth, depth


def area_face_um(shape: tuple[int, int], cell_um: float, roughness_rms_um: float, hurst: float,
                 relative_density: float, particle_diameter_um: float,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(the face's height, the open pore's depth) per cell of a periodic (depth, width) area: the
    envelope (self_affine_surface_um; flat at RMS 0) less the pores' depth
    (kmc.physics.pores.face_pore_depth_map_um: every row of cells has the line's stereology)."""
    surface = (self_affine_surface_um(shape, cell_um, roughness_rms_um, hurst, rng) if roughness_rms_um > 0
               else np.zeros(shape))
    phi = porosity(relative_density)
    pore = (face_pore_depth_map_um(shape, cell_um, phi, particle_diameter_um, rng) if phi > 0
            else np.zeros(shape))
    return surface - pore, pore
