"""Geometry of the BCC lattices: neighbour distances, symmetry, layers (docs/physics.md section 3)."""
import math

import numpy as np
import pytest

from lattices import build_bcc

A = 3.51
NN = A * math.sqrt(3) / 2


def min_image(lat, i, j):
    d = lat.positions_A[j] - lat.positions_A[i]
    periodic = [True, True, lat.periodic_z]
    for ax in range(3):
        if periodic[ax]:
            d[..., ax] -= np.round(d[..., ax] / lat.box_A[ax]) * lat.box_A[ax]
    return np.linalg.norm(d, axis=-1)


@pytest.mark.parametrize("orientation", ["001", "110"])
@pytest.mark.parametrize("periodic_z", [True, False])
def test_neighbours_at_first_shell_and_symmetric(orientation, periodic_z):
    lat = build_bcc((3, 4, 3), orientation, A, periodic_z)
    nb = lat.neighbors
    i = np.repeat(np.arange(lat.n_sites), 8).reshape(-1, 8)
    ok = nb >= 0
    assert np.allclose(min_image(lat, i[ok], nb[ok]), NN)
    # no site lists the same neighbour twice (box large enough for distinct images)
    for row in nb:
        present = row[row >= 0]
        assert len(set(present.tolist())) == len(present)
    # symmetric table
    pairs = {(int(a), int(b)) for a, b in zip(i[ok], nb[ok])}
    assert all((b, a) in pairs for a, b in pairs)
    # opposite slot: nbr[nbr[s, d], opposite[d]] == s
    for d in range(8):
        has = nb[:, d] >= 0
        back = nb[nb[has, d], lat.opposite_slot[d]]
        assert np.array_equal(back, np.flatnonzero(has))


@pytest.mark.parametrize("orientation", ["001", "110"])
@pytest.mark.parametrize("periodic_z", [True, False])
def test_second_step_via_names_the_shared_neighbours(orientation, periodic_z):
    """Geometry.second_via[a, b] (which of s's neighbours also neighbour the site two steps away
    along slots a then b; the engine's embedding refresh handles such a site from the first metal
    one) against the neighbour table, at every site whose sites exist, in a box 3 cells wide."""
    lat = build_bcc((3, 3, 3), orientation, A, periodic_z)
    nb = lat.neighbors
    via = lat.geometry().second_via
    checked = 0
    for s in range(lat.n_sites):
        if (nb[s] < 0).any():
            continue
        for a in range(8):
            n = nb[s, a]
            for b in range(8):
                k = nb[n, b]
                if k < 0:
                    continue
                shared = sum(1 << c for c in range(8) if nb[s, c] in nb[k])
                assert via[a, b] == shared, (s, a, b)
                checked += 1
    assert checked > 1000


def test_periodic_box_every_site_has_eight_neighbours():
    for orientation in ("001", "110"):
        lat = build_bcc((3, 3, 3), orientation, A, periodic_z=True)
        assert (lat.neighbors >= 0).all()


def test_001_slab_layers():
    nx, ny, nz = 4, 3, 3
    lat = build_bcc((nx, ny, nz), "001", A, periodic_z=False)
    assert lat.n_sites == 2 * nx * ny * nz
    assert lat.n_layers == 2 * nz
    assert lat.sites_per_layer == nx * ny            # 1/a^2 sites per layer
    assert lat.layer_spacing_A == pytest.approx(A / 2)
    assert np.allclose(lat.positions_A[:, 2], lat.layer * A / 2)
    layer = lat.layer
    for s in range(lat.n_sites):
        up = [n for n in lat.neighbors[s] if n >= 0 and layer[n] == layer[s] - 1]
        down = [n for n in lat.neighbors[s] if n >= 0 and layer[n] == layer[s] + 1]
        same = [n for n in lat.neighbors[s] if n >= 0 and layer[n] == layer[s]]
        assert not same                                # every bond joins adjacent layers
        assert len(up) == (0 if layer[s] == 0 else 4)  # L1 touches the electrolyte
        assert len(down) == (0 if layer[s] == lat.n_layers - 1 else 4)
    assert lat.missing_below == 4
    # L1 in-plane second neighbours are at distance a
    q = lat.l1_second_neighbors
    assert q.shape == (lat.sites_per_layer, 4)
    i = np.repeat(np.arange(lat.sites_per_layer), 4)
    assert np.allclose(min_image(lat, i, q.ravel()), A)
    assert (lat.layer[q] == 0).all()


def test_110_slab_has_in_plane_neighbours():
    lat = build_bcc((3, 4, 3), "110", A, periodic_z=False)
    assert lat.layer_spacing_A == pytest.approx(A / math.sqrt(2))
    layer = lat.layer
    interior = np.flatnonzero((layer > 0) & (layer < lat.n_layers - 1))
    for s in interior[:20]:
        ls = layer[lat.neighbors[s]]
        assert (ls == layer[s]).sum() == 4 and (ls == layer[s] - 1).sum() == 2
    assert lat.missing_below == 2


def test_too_small_box_rejected():
    with pytest.raises(ValueError, match="at least 2"):
        build_bcc((1, 4, 4), "001", A)
    with pytest.raises(ValueError, match="orientation"):
        build_bcc((2, 2, 2), "111", A)


@pytest.mark.parametrize("cells", [(2, 2, 2), (4, 3, 3), (5, 7, 2)])
@pytest.mark.parametrize("periodic_z", [True, False])
def test_001_arithmetic_build_equals_general_build(cells, periodic_z):
    """The fast [001] builder gives exactly the lattice of the general position-lookup builder."""
    from lattices import bcc
    a = bcc._build_001(*cells, A, periodic_z)
    b = bcc._build_general(*cells, "001", A, periodic_z)
    assert np.allclose(a.positions_A, b.positions_A)
    assert np.array_equal(a.neighbors, b.neighbors)
    assert np.array_equal(a.l1_second_neighbors, b.l1_second_neighbors)
    assert np.array_equal(a.opposite_slot, b.opposite_slot)
    assert np.allclose(a.neighbor_vectors_A, b.neighbor_vectors_A)
    assert a.layer_spacing_A == pytest.approx(b.layer_spacing_A)
