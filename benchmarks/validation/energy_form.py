"""A study (docs/energy_model.md): a coordination-dependent (Finnis-Sinclair / second-moment) energy that carries
every DFT row of docs/physics.md section 2 together with gamma(001), W_ad and both wetting angles.

It derives the shipped second-moment parameters (params/*.toml) by solving each stage's rows on
its own total energy, and prints predictions docs/energy_model.md quotes; the hop barrier is the
engine's rule (kmc.rate_rules.barrier_eV).  The shipped model's own check of the same rows is
``kmc params show NAME --fit`` (kmc.fit, on EnergyModel.total_energy).

Energy of a configuration on a [001] slab (L1 = layer 0 touches the electrolyte):

    E = sum_{1st-neighbour pairs, both metal} V[A][B]
      - sum_{metal i} eps[A_i] * sqrt(n_i + c_S[A_i] * [i in L1])       (many-body embedding)
      + sum_{metal i in L1} R_S[A_i]                                     (electrolyte contact repulsion)
      + p   * (vacancy pairs at distance a within L1)
      + q   * (solute-vacancy first-neighbour pairs with an end in L1)

n_i = metal first neighbours of i (species-blind).  c_S is the electrolyte's contribution to an L1
atom's coordination (its Li-S / Mg-S bonds).  Below the box the electrode continues: two frozen
"ghost" layers of mean bulk composition; the first one's embedding and its pairs with the box are
part of E, so vacancies at the bottom cost what they cost in the bulk.

Every row of the fit table is an energy difference of lattice configurations evaluated with
``total_energy`` (no closed form is used in the table).  The detailed-balance check compares the
local hop formula an engine would use (``hop_dE_local``, reads only the stored metal counts of the
two ends' neighbours) with total-energy differences on random configurations.

    python benchmarks/validation/energy_form.py            # fit table + predictions + checks
    python benchmarks/validation/energy_form.py --json     # the fit rows as JSON
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kmc.rate_rules import barrier_eV  # noqa: E402
from lattices import build_bcc  # noqa: E402

VAC, HOST, SOLUTE, GHOST = 0, 1, 2, 3          # GHOST: frozen mean-composition atom below the box
A_LATTICE = 3.51                               # BCC Li at room temperature (docs/physics.md section 3)
J_M2_PER_EV_A2 = 16.02176634                   # 1 eV/A^2 in J/m^2
EV_PER_BOND_LIS, EV_PER_BOND_MGS = 1.504, 1.677   # seed 004: Li-S (Li2S), Mg-S (MgS) bond energies

# Targets (docs/physics.md section 2 and 4b; literature where stated)
W_AD_J_M2 = 0.39
THETA_LI_DEG = 93.6
THETA_LIMG_DEG = 87.1
GAMMA_J_M2 = W_AD_J_M2 / (1 + math.cos(math.radians(THETA_LI_DEG)))   # 0.416, Young-Dupre
E_COH_MG_EV = 1.51        # Kittel, Introduction to Solid State Physics, cohesive energy of Mg
E_COH_LI_EV = 1.63        # Kittel, same table (a prediction here, not fitted)
# D_Mg at 25 and 60 C (seed 004): Q = k ln(D60/D25) / (1/298.15 - 1/333.15) = 0.6025 eV
Q_MG_EV = 8.617333262e-5 * math.log(2.42e-12 / 2.06e-13) / (1 / 298.15 - 1 / 333.15)
L1_SOLUTE_FRACTION = 0.07  # interface composition assumed for the Li-Mg angle (docs/energy_model.md)
BULK_SOLUTE_FRACTION = 0.03  # Li0.97Mg0.03 (ghost layers of the alloy slab)
TOL = {"eV": 0.03, "J/m^2": 0.03, "deg": 3.0}


@dataclass(frozen=True)
class Params:
    V: np.ndarray        # (4, 4) first-neighbour pair energy, eV (repulsive > 0); row/col VAC = 0
    eps: np.ndarray      # (4,) embedding strength, eV
    c_S: np.ndarray      # (4,) electrolyte contribution to an L1 atom's coordination
    R_S: np.ndarray      # (4,) electrolyte contact repulsion per L1 atom, eV
    p_l1: float          # L1 in-plane vacancy pair (distance a), eV
    q_l1: float          # an L1 vacancy's first-neighbour pair with a solute, eV
    x_bulk: float = 0.0  # solute fraction of the ghost layers

    @staticmethod
    def make(v_hh, v_hs, eps_h, eps_s, c_h, c_s, r_h, r_s, p, q, x_bulk=0.0):
        v_ss = 2 * v_hs - v_hh                    # ideal Li-Mg mixing (BCC solid solution)
        V = np.zeros((4, 4))
        V[HOST, HOST], V[HOST, SOLUTE], V[SOLUTE, HOST], V[SOLUTE, SOLUTE] = v_hh, v_hs, v_hs, v_ss
        eps = np.array([0.0, eps_h, eps_s, 0.0])
        # ghost = mean-field atom of the bulk composition
        for s in (HOST, SOLUTE):
            V[s, GHOST] = V[GHOST, s] = (1 - x_bulk) * V[s, HOST] + x_bulk * V[s, SOLUTE]
        V[GHOST, GHOST] = (1 - x_bulk) * V[HOST, GHOST] + x_bulk * V[SOLUTE, GHOST]
        eps[GHOST] = (1 - x_bulk) * eps_h + x_bulk * eps_s
        return Params(V=V, eps=eps, c_S=np.array([0.0, c_h, c_s, 0.0]),
                      R_S=np.array([0.0, r_h, r_s, 0.0]), p_l1=float(p), q_l1=float(q),
                      x_bulk=float(x_bulk))

    def vector(self):
        return dict(v_hh=self.V[1, 1], v_hs=self.V[1, 2], eps_h=self.eps[1], eps_s=self.eps[2],
                    c_h=self.c_S[1], c_s=self.c_S[2], r_h=self.R_S[1], r_s=self.R_S[2],
                    p=self.p_l1, q=self.q_l1, x_bulk=self.x_bulk)

    def with_(self, **kw):
        d = self.vector()
        d.update(kw)
        return Params.make(**d)


class Geometry:
    """A [001] slab (interface at layer 0, two ghost layers below) or a periodic bulk box."""

    def __init__(self, cells, orientation="001", slab=True):
        nx, ny, nz = cells
        self.slab = slab
        if slab:
            if orientation != "001":
                raise ValueError("slab geometry: only 001")
            ext = build_bcc((nx, ny, nz + 1), "001", A_LATTICE, periodic_z=False)
            self.n_box = 2 * nz * ext.sites_per_layer
        else:
            ext = build_bcc((nx, ny, nz), orientation, A_LATTICE, periodic_z=True)
            self.n_box = ext.n_sites
        self.lat = ext
        self.spl = ext.sites_per_layer
        self.n_ext = ext.n_sites
        self.n_layers = self.n_box // self.spl
        self.nbr = ext.neighbors.astype(np.int64)
        self.layer = ext.layer
        self.pos = ext.positions_A
        self.box = ext.box_A
        self.area_A2 = float(ext.box_A[0] * ext.box_A[1])
        self.l1nb2 = ext.l1_second_neighbors.astype(np.int64) if slab else np.zeros((0, 4), np.int64)
        # sites whose embedding is in E: the box and the first ghost layer (the second ghost
        # layer's neighbours never change)
        self.n_embed = self.n_box + (self.spl if slab else 0)
        i = np.repeat(np.arange(self.n_ext), 8)
        j = self.nbr.ravel()
        keep = (j > i) & (i < self.n_box)        # pairs with at least one box site
        self.pi, self.pj = i[keep], j[keep]
        self.is_l1 = (self.layer == 0) if slab else np.zeros(self.n_ext, bool)

    def extend(self, occ):
        if self.n_ext == self.n_box:
            return np.asarray(occ, np.int64)
        return np.concatenate([np.asarray(occ, np.int64), np.full(self.n_ext - self.n_box, GHOST)])

    def metal_counts(self, ext_occ):
        valid = self.nbr >= 0
        nb_metal = (ext_occ[np.where(valid, self.nbr, 0)] != VAC) & valid
        return nb_metal.sum(axis=1)


def total_energy(occ, geo: Geometry, P: Params) -> float:
    """Configuration energy in eV (the reference: every fit row is a difference of these)."""
    s = geo.extend(occ)
    n = geo.metal_counts(s)
    e = P.V[s[geo.pi], s[geo.pj]].sum()
    emb_sites = np.arange(geo.n_embed)
    sp = s[emb_sites]
    metal = sp != VAC
    l1 = geo.is_l1[emb_sites]
    e -= (P.eps[sp] * np.sqrt(n[emb_sites] + P.c_S[sp] * l1))[metal].sum()
    if geo.slab:
        l1_sites = np.arange(geo.spl)
        e += P.R_S[s[l1_sites]].sum()
        vac = s[l1_sites] == VAC
        for c in range(geo.l1nb2.shape[1]):
            q = geo.l1nb2[:, c]
            ok = q > l1_sites
            e += P.p_l1 * np.count_nonzero(vac[ok] & (s[q[ok]] == VAC))
        # q: an L1 vacancy bonded to a solute (not an L1 solute bonded to an L2 vacancy)
        a, b = s[geo.pi], s[geo.pj]
        vs = (geo.is_l1[geo.pi] & (a == VAC) & (b == SOLUTE)) | (geo.is_l1[geo.pj] & (b == VAC) & (a == SOLUTE))
        e += P.q_l1 * np.count_nonzero(vs)
    return float(e)


def hop_dE_local(occ, n_stored, v, j, geo: Geometry, P: Params) -> float:
    """Energy change when the atom at j hops into the vacancy at v, from local reads only: the
    species of the neighbours of v and j and the metal counts stored for them (``n_stored``, the
    engine's per-site counts before the hop).  This is the formula an engine would implement."""
    s = geo.extend(occ)
    x = int(s[j])
    nbr, l1 = geo.nbr, geo.is_l1
    V, eps, c, R = P.V, P.eps, P.c_S, P.R_S

    def emb(sp, n, in_l1):
        return -eps[sp] * math.sqrt(n + c[sp] * in_l1) if sp != VAC else 0.0

    dE = 0.0
    for k in nbr[v]:
        if k < 0 or k == j or s[k] == VAC:
            continue
        dE += V[x, s[k]]
        if k < geo.n_embed:                                   # k gains a metal neighbour
            dE += emb(s[k], n_stored[k] + 1, l1[k]) - emb(s[k], n_stored[k], l1[k])
    for k in nbr[j]:
        if k < 0 or k == v or s[k] == VAC:
            continue
        dE -= V[x, s[k]]
        if k < geo.n_embed:                                   # k loses one
            dE += emb(s[k], n_stored[k] - 1, l1[k]) - emb(s[k], n_stored[k], l1[k])
    # the atom's own embedding: v's count included x (at j), which is now vacant
    dE += emb(x, n_stored[v] - 1, l1[v]) - emb(x, n_stored[j], l1[j])
    if geo.slab:
        dE += R[x] * (int(l1[v]) - int(l1[j]))
        if l1[v]:
            dE -= P.p_l1 * sum(1 for q in geo.l1nb2[v] if q >= 0 and s[q] == VAC)
        if l1[j]:
            dE += P.p_l1 * sum(1 for q in geo.l1nb2[j] if q >= 0 and s[q] == VAC)
        if P.q_l1 != 0.0:
            def q_bond(sa, la, sb, lb):   # a bond carrying q: an L1 vacancy at one end, a solute at the other
                return int((la and sa == VAC and sb == SOLUTE) or (lb and sb == VAC and sa == SOLUTE))
            before = q_bond(VAC, l1[v], x, l1[j])
            after = q_bond(x, l1[v], VAC, l1[j])
            for k in nbr[v]:
                if k >= 0 and k != j:
                    before += q_bond(VAC, l1[v], s[k], l1[k])
                    after += q_bond(x, l1[v], s[k], l1[k])
            for k in nbr[j]:
                if k >= 0 and k != v:
                    before += q_bond(x, l1[j], s[k], l1[k])
                    after += q_bond(VAC, l1[j], s[k], l1[k])
            dE += P.q_l1 * (after - before)
    return dE


# ----------------------------------------------------------------------------- configurations
FIT_CELLS = (4, 4, 6)        # 16 sites per layer, 12 layers (as kmc/fit.py)


def _min_image_distance(geo, i, j):
    d = geo.pos[j] - geo.pos[i]
    d[:2] -= np.round(d[:2] / geo.box[:2]) * geo.box[:2]
    return float(np.linalg.norm(d))


def _site_at_distance(geo, origin, layer, distance_A, exclude=()):
    for s in range(layer * geo.spl, (layer + 1) * geo.spl):
        if s not in exclude and abs(_min_image_distance(geo, origin, s) - distance_A) < 0.05:
            return s
    raise RuntimeError(f"no site {distance_A:.2f} A from {origin} in layer {layer}")


class Evaluator:
    """Energies of named lattice configurations for one parameter set."""

    def __init__(self, P: Params):
        self.P = P
        self.slab = Geometry(FIT_CELLS)
        self.bulk = Geometry((4, 4, 4), slab=False)

    def mu(self, species=HOST):
        """Energy per atom of the perfect periodic crystal of one species (the reservoir)."""
        occ = np.full(self.bulk.n_box, species)
        return total_energy(occ, self.bulk, self.P) / self.bulk.n_box

    def energy(self, changes, geo=None, fill=HOST):
        geo = geo or self.slab
        occ = np.full(geo.n_box, fill, np.int64)
        for site, sp in changes.items():
            occ[site] = sp
        return total_energy(occ, geo, self.P)

    # -- pure host rows
    def ef_bulk(self):
        g = self.slab
        b = (g.n_layers // 2) * g.spl
        return self.energy({b: VAC}) - self.energy({}) + self.mu()

    def ef_l1(self):
        return self.energy({0: VAC}) - self.energy({}) + self.mu()

    def swap_l1_l2(self):
        l2 = int(self.slab.nbr[0, 4])
        return self.energy({l2: VAC}) - self.energy({0: VAC})

    def gap_per_site(self, layers, geo=None, base=None):
        """(E(gap) - E(base) + removed * mu) / sites per layer: layers emptied, atoms to bulk."""
        geo = geo or self.slab
        base = dict(base or {})
        ch = dict(base)
        for L in layers:
            for s in range(L * geo.spl, (L + 1) * geo.spl):
                ch[s] = VAC
        removed = sum(1 for s, sp in ch.items() if sp == VAC and base.get(s, HOST) != VAC)
        return (self.energy(ch, geo) - self.energy(base, geo) + removed * self.mu()) / geo.spl

    def gamma_J_m2(self):
        m = self.slab.n_layers // 2
        return self.gap_per_site([m, m + 1]) / 2 * J_M2_PER_EV_A2 / A_LATTICE**2

    def w_ad_J_m2(self, h=2):
        return self.gap_per_site(list(range(h))) * J_M2_PER_EV_A2 / A_LATTICE**2

    # -- solute rows (kmc/fit.py's configurations)
    def mg_rows(self):
        g = self.slab
        nbr = g.nbr
        a = A_LATTICE
        b = (g.n_layers // 2) * g.spl
        mg1 = int(nbr[b, 1])
        out = {}
        out["ef_mg1"] = self.energy({mg1: SOLUTE, b: VAC}) - self.energy({mg1: SOLUTE}) + self.mu()
        mg3 = _site_at_distance(g, b, b // g.spl, a * math.sqrt(2))
        out["ef_mg3"] = self.energy({mg3: SOLUTE, b: VAC}) - self.energy({mg3: SOLUTE}) + self.mu()
        mg2 = _site_at_distance(g, b, b // g.spl, a)   # 2nd neighbour in the same layer? (distance a)
        out["ef_mg2"] = self.energy({mg2: SOLUTE, b: VAC}) - self.energy({mg2: SOLUTE}) + self.mu()
        v0 = 0
        l2 = [int(n) for n in nbr[v0] if 0 <= n < g.n_box]
        m = l2[0]
        s_li = next(x for x in l2 if abs(_min_image_distance(g, m, x) - a) < 0.05)
        start = self.energy({m: SOLUTE, v0: VAC})
        out["fill_li"] = self.energy({m: SOLUTE, s_li: VAC}) - start
        far = _site_at_distance(g, v0, 1, a * math.sqrt(4.75))
        out["fill_mg"] = self.energy({v0: SOLUTE, far: VAC}) - start
        mg_l1 = _site_at_distance(g, v0, 0, a * math.sqrt(2))
        fill = next(x for x in l2 if all(n != mg_l1 for n in nbr[x]))
        out["far_fill"] = self.energy({mg_l1: SOLUTE, fill: VAC}) - self.energy({mg_l1: SOLUTE, v0: VAC})
        # hop energy changes for the KRA rows
        j = int(nbr[b, 0])
        out["dE_li_hop"] = self.energy({j: VAC}) - self.energy({b: VAC})
        mg_j = next(int(n) for n in nbr[j] if n >= 0 and n != b)
        out["dE_li_near_mg"] = self.energy({mg_j: SOLUTE, j: VAC}) - self.energy({mg_j: SOLUTE, b: VAC})
        out["dE_mg_hop"] = self.energy({b: SOLUTE, j: VAC}) - self.energy({j: SOLUTE, b: VAC})
        return out

    def e_coh(self, species):
        return -self.mu(species)


# ----------------------------------------------------------------------------- Li-Mg wetting
class AlloyInterface:
    """Flat-gap energies with a fraction x of L1 sites holding the solute (10 x 10 L1)."""

    CELLS = (10, 10, 6)

    def __init__(self, P: Params, x: float):
        self.P = P.with_(x_bulk=BULK_SOLUTE_FRACTION)
        self.geo = Geometry(self.CELLS)
        self.bulkgeo = Geometry((4, 4, 4), slab=False)
        g = self.geo
        n_mg = int(round(x * g.spl))
        self.x = n_mg / g.spl
        # spread the solutes over L1 (no two at in-plane distance a: they never share a bond
        # anyway; the energy is linear in their number)
        self.cols = [(3 * k) % g.spl for k in range(n_mg)]
        self.cols = list(dict.fromkeys(self.cols))
        assert len(self.cols) == n_mg
        self.mu = total_energy(np.full(self.bulkgeo.n_box, HOST), self.bulkgeo, self.P) / self.bulkgeo.n_box

    def _E(self, changes):
        occ = np.full(self.geo.n_box, HOST, np.int64)
        for s, sp in changes.items():
            occ[s] = sp
        return total_energy(occ, self.geo, self.P)

    def _solute_in(self, layer):
        return {layer * self.geo.spl + c: SOLUTE for c in self.cols}

    def w_ad_J_m2(self, h=2):
        """Lift the metal off: L1..Lh empty, the L1 solutes stay with the metal (top layer of
        what is left, same lateral sites), the removed host atoms go to the bulk."""
        g = self.geo
        contact = self._solute_in(0)
        lifted = self._solute_in(h)
        for L in range(h):
            for s in range(L * g.spl, (L + 1) * g.spl):
                lifted[s] = VAC
        w = (self._E(lifted) - self._E(contact) + h * g.spl * self.mu) / g.spl
        return w * J_M2_PER_EV_A2 / A_LATTICE**2

    def w_ad_left_on_electrolyte_J_m2(self, h=2):
        """Alternative: the solutes stay in L1 on the electrolyte, the gap opens beneath them."""
        g = self.geo
        contact = self._solute_in(0)
        gap = dict(contact)
        for L in range(h):
            for s in range(L * g.spl, (L + 1) * g.spl):
                if gap.get(s) != SOLUTE:
                    gap[s] = VAC
        removed = h * g.spl - len(self.cols)
        w = (self._E(gap) - self._E(contact) + removed * self.mu) / g.spl
        return w * J_M2_PER_EV_A2 / A_LATTICE**2

    def gamma_J_m2(self):
        """Free surface whose top layer holds the same solute fraction: a buried 2-layer gap with
        the solutes in both faces, against the same solutes with the gap filled."""
        g = self.geo
        m = g.n_layers // 2
        base = {**self._solute_in(m - 1), **self._solute_in(m + 2)}
        ch = dict(base)
        for L in (m, m + 1):
            for s in range(L * g.spl, (L + 1) * g.spl):
                ch[s] = VAC
        e = (self._E(ch) - self._E(base) + 2 * g.spl * self.mu) / g.spl / 2
        return e * J_M2_PER_EV_A2 / A_LATTICE**2


def angle_deg(w, gamma):
    c = w / gamma - 1
    return math.degrees(math.acos(max(-1.0, min(1.0, c)))), c


# ----------------------------------------------------------------------------- finite voids
def finite_void_angle(P: Params, sizes=(4, 6, 8, 10, 12), height=3, cells=(20, 20, 8)):
    """Angle from finite voids: an L x L x height block of vacancies touching the electrolyte
    against the same block buried mid-slab.  Their energy difference is L^2 (W - 2 gamma) per
    site plus contact-line and corner terms, so a fit a + b/L + c/L^2 of dE/L^2 gives
    cos theta = (a + gamma)/gamma independently of the flat-gap rows."""
    geo = Geometry(cells)
    nx = cells[0]
    spl = geo.spl
    full = np.full(geo.n_box, HOST, np.int64)
    e_full = total_energy(full, geo, P)
    gamma = Evaluator(P).gamma_J_m2() * A_LATTICE**2 / J_M2_PER_EV_A2
    d = []
    for L in sizes:
        def block(top):
            occ = full.copy()
            for layer in range(top, top + height):
                for iy in range(L):
                    for ix in range(L):
                        occ[layer * spl + iy * nx + ix] = VAC
            return total_energy(occ, geo, P) - e_full
        d.append((block(0) - block(geo.n_layers // 2 - 1)) / L**2)
    Ls = np.array(sizes, float)
    coef = np.linalg.lstsq(np.stack([np.ones_like(Ls), 1 / Ls, 1 / Ls**2], 1), np.array(d), rcond=None)[0]
    cos_t = (coef[0] + gamma) / gamma
    return math.degrees(math.acos(max(-1, min(1, cos_t)))), d


# ----------------------------------------------------------------------------- fit
def newton(fun, x0, target, steps=30, h=1e-6):
    x = np.array(x0, float)
    t = np.array(target, float)
    for _ in range(steps):
        f = np.array(fun(x)) - t
        if np.max(np.abs(f)) < 1e-12:
            break
        J = np.empty((len(f), len(x)))
        for k in range(len(x)):
            dx = np.zeros_like(x)
            dx[k] = h
            J[:, k] = (np.array(fun(x + dx)) - np.array(fun(x - dx))) / (2 * h)
        x = x - np.linalg.solve(J, f)
    return x


def fit() -> Params:
    """Derive every parameter from its rows (each stage solves a square system on total energies)."""
    gamma_site = GAMMA_J_M2 * A_LATTICE**2 / J_M2_PER_EV_A2
    w_site = W_AD_J_M2 * A_LATTICE**2 / J_M2_PER_EV_A2
    P = Params.make(v_hh=0.13, v_hs=0.10, eps_h=0.7, eps_s=0.6, c_h=6.0, c_s=7.0, r_h=0.5, r_s=0.5,
                    p=0.0, q=0.0)
    # 1. bulk host: V, eps from E_f(bulk) = 0.50 eV and gamma(001) = 0.416 J/m^2
    x = newton(lambda z: [Evaluator(P.with_(v_hh=z[0], eps_h=z[1])).ef_bulk(),
                          Evaluator(P.with_(v_hh=z[0], eps_h=z[1])).gap_per_site([6, 7]) / 2],
               [P.V[1, 1], P.eps[1]], [0.50, gamma_site])
    P = P.with_(v_hh=x[0], eps_h=x[1])
    # 2. interface host: c_S, R_S, p from L1->L2 (+0.15), W_ad (0.39 J/m^2), E_f(L1) = 0.28
    def f2(z):
        ev = Evaluator(P.with_(c_h=z[0], r_h=z[1], p=z[2]))
        return [ev.swap_l1_l2(), ev.gap_per_site([0, 1]), ev.ef_l1()]
    x = newton(f2, [P.c_S[1], P.R_S[1], P.p_l1], [0.15, w_site, 0.28])
    P = P.with_(c_h=x[0], r_h=x[1], p=x[2])
    # 3. bulk solute: eps_Mg, V_LiMg from the vacancy next to Mg and the cohesive energy of Mg
    #    (1.51 eV).  Two DFT rows measure the Mg-vacancy first-neighbour repulsion and disagree by
    #    0.03 eV: E_f next to Mg 0.53 says +0.03, the D_Mg activation 0.6025 = E_f + 0.102 says
    #    0.  The least-squares value of E_f next to Mg over both rows is their mean.
    ef_mg1_target = 0.5 * (0.53 + (Q_MG_EV - KRA["mg"]))
    def f3(z):
        ev = Evaluator(P.with_(eps_s=z[0], v_hs=z[1]))
        return [ev.mg_rows()["ef_mg1"], ev.e_coh(SOLUTE)]
    x = newton(f3, [P.eps[2], P.V[1, 2]], [ef_mg1_target, E_COH_MG_EV])
    P = P.with_(eps_s=x[0], v_hs=x[1])
    # 4. interface solute: in second-moment terms an L1 atom of species A gets eps_A^2 * c_S(A) of
    #    its squared-hopping sum from the electrolyte; the A-S hopping scales with the A-S bond
    #    energy, so eps_Mg^2 c_S(Mg) / (eps_Li^2 c_S(Li)) = (E_MgS / E_LiS)^2.  R_S(Mg) and q then
    #    come from the -0.67 and -0.16 rows.
    P = P.with_(c_s=P.c_S[1] * (EV_PER_BOND_MGS / EV_PER_BOND_LIS) ** 2 * (P.eps[1] / P.eps[2]) ** 2)
    def f4(z):
        r = Evaluator(P.with_(r_s=z[0], q=z[1])).mg_rows()
        return [r["fill_mg"], r["fill_li"]]
    x = newton(f4, [P.R_S[2], P.q_l1], [-0.67, -0.16])
    return P.with_(r_s=x[0], q=x[1])


def kra_barrier(dE, kra):
    """The KRA barrier (mean of forward and backward) under the engine's own rule."""
    return 0.5 * (barrier_eV(dE, kra) + barrier_eV(-dE, kra))


KRA = {"li": 0.055, "li_near_mg": 0.061, "mg": 0.102}   # DFT hop barriers (seed 004)


def fit_table(P: Params) -> list[dict]:
    ev = Evaluator(P)
    r = ev.mg_rows()
    rows = []

    def row(name, target, model, unit, note=""):
        rows.append({"name": name, "target": target, "model": round(float(model), 6),
                     "residual": round(float(model) - target, 6) + 0.0, "unit": unit, "note": note})

    row("bulk Li vacancy formation", 0.50, ev.ef_bulk(), "eV", "DFT; fitted")
    row("L1 vacancy formation (Li/Li2S)", 0.28, ev.ef_l1(), "eV", "DFT; fitted")
    row("L1 vacancy moved to L2, Li/Li2S", 0.15, ev.swap_l1_l2(), "eV", "DFT; fitted")
    row("bulk Li-Mg vacancy formation, Mg 1st neighbour", 0.53, r["ef_mg1"], "eV", "DFT; fitted with D_Mg row")
    row("bulk Li-Mg vacancy formation, Mg 3rd neighbour", 0.50, r["ef_mg3"], "eV", "DFT; follows")
    row("Li-Mg/Li2S: L1 vacancy next to Mg, L2 Li fills", -0.16, r["fill_li"], "eV", "DFT; fitted (q)")
    row("Li-Mg/Li2S: L1 vacancy next to Mg, L2 Mg fills", -0.67, r["fill_mg"], "eV", "DFT; fitted (R_S Mg)")
    row("Li-Mg/Li2S: L1 vacancy 4.9 A from Mg, Li fills", 0.13, r["far_fill"], "eV", "DFT; follows")
    row("hop barrier: Li, bulk Li", 0.055, kra_barrier(r["dE_li_hop"], KRA["li"]), "eV", "DFT KRA")
    row("hop barrier: Li next to Mg", 0.061, kra_barrier(r["dE_li_near_mg"], KRA["li_near_mg"]), "eV", "DFT KRA")
    row("hop barrier: Mg in dilute Li-Mg", 0.102, kra_barrier(r["dE_mg_hop"], KRA["mg"]), "eV", "DFT KRA")
    row("Mg diffusion activation (E_f next to Mg + Mg hop)", round(Q_MG_EV, 4), r["ef_mg1"] + KRA["mg"], "eV",
        "DFT D_Mg(25, 60 C); fitted with the row above")
    row("cohesive energy of Mg (pure BCC, model)", E_COH_MG_EV, ev.e_coh(SOLUTE), "eV", "Kittel; fitted")
    g = ev.gamma_J_m2()
    w2 = ev.w_ad_J_m2(2)
    row("Li (001) surface energy", round(GAMMA_J_M2, 4), g, "J/m^2", "Young-Dupre from DFT W_ad, 93.6 deg; fitted")
    row("work of adhesion Li/Li2S (gap 2 layers)", W_AD_J_M2, w2, "J/m^2", "DFT; fitted")
    row("work of adhesion Li/Li2S (gap 3 layers)", W_AD_J_M2, ev.w_ad_J_m2(3), "J/m^2", "DFT; follows")
    row("contact angle Li/Li2S, void >= 2 layers", THETA_LI_DEG, angle_deg(w2, g)[0], "deg", "DFT; follows")
    ai = AlloyInterface(P, L1_SOLUTE_FRACTION)
    wa, ga = ai.w_ad_J_m2(2), ai.gamma_J_m2()
    row(f"contact angle Li-Mg/Li2S, void >= 2 layers, L1 Mg {ai.x:.2f}", THETA_LIMG_DEG,
        angle_deg(wa, ga)[0], "deg", "DFT; follows from the -0.67 row at this composition")
    return rows


# ----------------------------------------------------------------------------- predictions
def predictions(P: Params) -> list[tuple[str, str]]:
    ev = Evaluator(P)
    out = []
    out.append(("cohesive energy of Li (not fitted)", f"{ev.e_coh(HOST):.3f} eV vs 1.63 eV (Kittel)"))
    # (110) surface
    g110 = Geometry((3, 4, 4), "110", slab=False)
    occ = np.full(g110.n_box, HOST)
    e0 = total_energy(occ, g110, P)
    m = g110.n_layers // 2
    occ[m * g110.spl:(m + 2) * g110.spl] = VAC
    g = (total_energy(occ, g110, P) - e0 + 2 * g110.spl * ev.mu()) / (2 * g110.area_A2) * J_M2_PER_EV_A2
    g001 = ev.gamma_J_m2()
    out.append(("gamma(110), gamma(110)/gamma(001)", f"{g:.3f} J/m^2, ratio {g / g001:.3f} "
                "(1st-neighbour bond model 0.707; DFT for Li about 1, see docs)"))
    # divacancy binding in the bulk (positive = bound)
    bg = ev.bulk
    e0 = ev.energy({}, bg)
    v = 0
    e1 = ev.energy({v: VAC}, bg) - e0
    for name, dist in (("1st", A_LATTICE * math.sqrt(3) / 2), ("2nd", A_LATTICE), ("3rd", A_LATTICE * math.sqrt(2))):
        w = next(s for s in range(bg.n_box) if s != v and abs(_min_image_distance(bg, v, s) - dist) < 0.05)
        e2 = ev.energy({v: VAC, w: VAC}, bg) - e0
        out.append((f"divacancy binding, {name} neighbours", f"{2 * e1 - e2:+.4f} eV (1st-nbr bond model: "
                    f"{'+0.125' if name == '1st' else '0'} eV)"))
    # W independent of the gap height (the 110-deg problem of the shipped model)
    ws = [ev.w_ad_J_m2(h) for h in (1, 2, 3, 4)]
    out.append(("W_ad for gaps of 1, 2, 3, 4 layers", ", ".join(f"{w:.4f}" for w in ws) + " J/m^2"))
    # vacancy energy by layer
    efs = []
    for L in range(5):
        s = L * ev.slab.spl
        efs.append(ev.energy({s: VAC}) - ev.energy({}) + ev.mu())
    out.append(("vacancy formation by layer L1..L5", ", ".join(f"{e:.3f}" for e in efs) + " eV"))
    # an isolated Li left on the electrolyte inside a 2-layer void (cost from bulk)
    g = ev.slab
    base = {s: VAC for s in range(2 * g.spl)}
    e_gap = ev.energy(base)
    ad = dict(base)
    ad[0] = HOST
    out.append(("isolated L1 Li on the electrolyte above a void (from bulk)",
                f"{ev.energy(ad) - e_gap - ev.mu():+.3f} eV"))
    th, d = finite_void_angle(P)
    out.append(("angle from finite L x L x 3 voids, L = 4..12 (interface minus buried, extrapolated)",
                f"{th:.2f} deg; dE/L^2 = " + ", ".join(f"{x:.4f}" for x in d) + " eV/site"))
    # solute quantities
    r = ev.mg_rows()
    out.append(("bulk E_f, Mg at 2nd neighbour (a)", f"{r['ef_mg2']:.3f} eV (no DFT row)"))
    for x in (0.03, 1 / 16, 0.07, 0.10, 0.25, 1.0):
        a2 = AlloyInterface(P, x)
        wa, ga = a2.w_ad_J_m2(2), a2.gamma_J_m2()
        wb = a2.w_ad_left_on_electrolyte_J_m2(2)
        out.append((f"Li-Mg/Li2S at L1 Mg {a2.x:.3f}", f"W {wa:.4f}, gamma {ga:.4f} J/m^2, theta "
                    f"{angle_deg(wa, ga)[0]:.1f} deg (solutes left on the electrolyte instead: W {wb:.3f})"))
    # W and gamma are linear in x (the solutes of L1 never share a bond): the x giving 87.1 deg
    a0, a1 = AlloyInterface(P, 0.0), AlloyInterface(P, 0.25)
    w0, w1, g0, g1 = a0.w_ad_J_m2(), a1.w_ad_J_m2(), a0.gamma_J_m2(), a1.gamma_J_m2()
    k = 1 + math.cos(math.radians(THETA_LIMG_DEG))
    x_star = (k * g0 - w0) / ((w1 - w0) / a1.x - k * (g1 - g0) / a1.x)
    out.append(("L1 Mg fraction at which the Li-Mg void angle is 87.1 deg", f"{x_star:.4f}"))
    # per-solute adhesion gain and implied number of S contacts
    a1 = AlloyInterface(P, 0.25)
    a0 = AlloyInterface(P, 0.0)
    per = (a1.w_ad_J_m2() - a0.w_ad_J_m2()) / a1.x * A_LATTICE**2 / J_M2_PER_EV_A2
    sig = (a1.gamma_J_m2() - a0.gamma_J_m2()) / a1.x * A_LATTICE**2 / J_M2_PER_EV_A2
    out.append(("extra adhesion of an L1 Mg over an L1 Li (lifted-off)", f"{per:.3f} eV = "
                f"{per / (EV_PER_BOND_MGS - EV_PER_BOND_LIS):.1f} x (E_MgS - E_LiS = 0.173 eV)"))
    out.append(("Mg in a free (001) surface layer vs bulk", f"{sig:+.3f} eV (positive: Mg avoids free surfaces)"))
    seg = ev.energy({0: SOLUTE}) - ev.energy({(ev.slab.n_layers // 2) * ev.slab.spl: SOLUTE})
    out.append(("Mg segregation bulk -> L1 (contact)", f"{seg:+.3f} eV"))
    kT = 8.617333262e-5 * 298.0
    xb = BULK_SOLUTE_FRACTION
    r_eq = xb / (1 - xb) * math.exp(-seg / kT)
    out.append(("equilibrium L1 Mg fraction at 298 K (McLean, x_bulk 0.03)", f"{r_eq / (1 + r_eq):.4f}"))
    return out


# ----------------------------------------------------------------------------- detailed balance
def detailed_balance_check(P: Params, n_configs=40, hops_per_config=25, seed=7) -> tuple[float, int]:
    """Max |dE_local - dE_total| over random hops in random small slabs and bulk boxes."""
    rng = np.random.default_rng(seed)
    worst, count = 0.0, 0
    geos = [Geometry((3, 3, 3)), Geometry((4, 3, 2)), Geometry((3, 3, 2), slab=False)]
    Pb = P.with_(x_bulk=0.2)
    for k in range(n_configs):
        geo = geos[k % len(geos)]
        pv, pm = rng.uniform(0.05, 0.5), rng.uniform(0.0, 0.4)
        occ = rng.choice([VAC, HOST, SOLUTE], size=geo.n_box, p=[pv, (1 - pv) * (1 - pm), (1 - pv) * pm])
        e0 = total_energy(occ, geo, Pb)
        n_stored = geo.metal_counts(geo.extend(occ))
        vacs = np.flatnonzero(occ == VAC)
        for _ in range(hops_per_config):
            v = int(rng.choice(vacs))
            cands = [int(j) for j in geo.nbr[v] if 0 <= j < geo.n_box and occ[j] != VAC]
            if not cands:
                continue
            j = cands[rng.integers(len(cands))]
            new = occ.copy()
            new[v], new[j] = occ[j], VAC
            d_total = total_energy(new, geo, Pb) - e0
            d_local = hop_dE_local(occ, n_stored, v, j, geo, Pb)
            worst = max(worst, abs(d_total - d_local))
            count += 1
    return worst, count


def print_params(P: Params):
    d = P.vector()
    print("parameters (eV unless stated):")
    print(f"  V(Li,Li) {d['v_hh']:.6f}  V(Li,Mg) {d['v_hs']:.6f}  V(Mg,Mg) {2 * d['v_hs'] - d['v_hh']:.6f}")
    print(f"  eps(Li) {d['eps_h']:.6f}  eps(Mg) {d['eps_s']:.6f}")
    print(f"  c_S(Li) {d['c_h']:.6f}  c_S(Mg) {d['c_s']:.6f}  (electrolyte coordination, dimensionless)")
    print(f"  R_S(Li) {d['r_h']:.6f}  R_S(Mg) {d['r_s']:.6f}")
    print(f"  p (L1 vacancy pair) {d['p']:.6f}  q (Mg-vacancy pair touching L1) {d['q']:.6f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the fit rows as JSON")
    args = ap.parse_args(argv)
    P = fit()
    rows = fit_table(P)
    if args.json:
        print(json.dumps([{k: r[k] for k in ("name", "target", "model", "residual", "unit")} for r in rows],
                         indent=1))
        return 0 if all(abs(r["residual"]) <= TOL[r["unit"]] for r in rows) else 1
    print_params(P)
    print()
    print(f"{'row':58s} {'target':>8s} {'model':>9s} {'resid':>8s} unit    ok  source")
    ok_all = True
    for r in rows:
        ok = abs(r["residual"]) <= TOL[r["unit"]]
        ok_all &= ok
        print(f"{r['name']:58s} {r['target']:8.4g} {r['model']:9.4f} {r['residual']:+8.4f} "
              f"{r['unit']:6s} {'yes' if ok else 'NO ':3s} {r['note']}")
    print(f"\nall rows within tolerance (0.03 eV, 0.03 J/m^2, 3 deg): {ok_all}")
    print("\npredictions (not fitted):")
    for name, val in predictions(P):
        print(f"  {name}: {val}")
    worst, n = detailed_balance_check(P)
    print(f"\ndetailed balance: {n} random hops in random slabs/bulk boxes with Li, Mg and vacancies; "
          f"max |dE_local - dE_total| = {worst:.2e} eV ({'PASS' if worst < 1e-12 else 'FAIL'}, bound 1e-12)")
    return 0 if ok_all and worst < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
