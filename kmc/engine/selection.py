"""How the next event is picked: the engine's random numbers (xoshiro256**), the binary sum tree
over the vacancies' rate rows, and the prefetch hints that ask for the next events' lines early.
No physics: the rates come from kmc.rate_rules, the tree only adds and walks them.
"""
from __future__ import annotations

import numpy as np

from kmc.jit import kernel, kernel_inlined, prefetch
from kmc.rate_rules import N_SLOTS


# ----------------------------------------------------------------------------- random numbers
@kernel
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@kernel_inlined
def _xoshiro_uniform(s1):
    """The double in [0, 1) of a xoshiro256** state whose second word is s1 (the output is a
    function of that word alone)."""
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    return np.float64(result >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel_inlined
def _xoshiro_advance(s0, s1, s2, s3):
    """The xoshiro256** state after (s0, s1, s2, s3)."""
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return s0, s1, s2, s3


@kernel
def next_uniform(s):
    """xoshiro256** step; returns a double in [0, 1)."""
    result = _xoshiro_uniform(s[1])
    s[0], s[1], s[2], s[3] = _xoshiro_advance(s[0], s[1], s[2], s[3])
    return result


@kernel_inlined
def peek_uniforms(s):
    """The doubles the first and the third next_uniform(s) call from now will return (a hop draws
    two, its event and its waiting time: these are the event draws of the next two hops); s is
    left as it is."""
    s0, s1, s2, s3 = _xoshiro_advance(s[0], s[1], s[2], s[3])
    s0, s1, s2, s3 = _xoshiro_advance(s0, s1, s2, s3)
    return _xoshiro_uniform(s[1]), _xoshiro_uniform(s1)


# ----------------------------------------------------------------------------- sum tree
@kernel
def tree_set(tree, cap, k, value):
    """Set leaf k and every sum above it.  The new sum climbs in a register: each parent is the
    child just computed plus its sibling from memory (exactly tree[2i] + tree[2i+1], as IEEE
    addition commutes), so no level waits for the store of the level below."""
    i = cap + k
    tree[i] = value
    while i > 1:
        value += tree[i ^ 1]
        i >>= 1
        tree[i] = value


@kernel_inlined
def _tree_descend(tree, i, stop, u):
    """From node i down to the first node at or past ``stop`` (a level's first index), the child
    holding u at each level; returns that node and u's offset into it.  Each level is one load,
    one comparison and a subtraction of left or +0.0, both written so that the compiler keeps
    them free of branches (a branch here mispredicts half the time)."""
    while i < stop:
        left = tree[np.uint64(2 * i)]
        i = 2 * i + (1 if u >= left else 0)
        u -= 0.0 if u < left else left   # a second comparison: sharing one brings the branch back
    return i, u


# ----------------------------------------------------------------------------- the next event, early
# Once a box's site arrays outgrow the second-level cache, an event's reads wait on the shared cache
# or main memory, and most of them wait on an earlier one: the tree walk is a chain of dependent
# loads (each node names the next), and the vacancy's rate row, its site and the words around it
# wait for the leaf.  But the RNG already holds the next events' draws
# (peek_uniforms), and the tree before this event's refresh mostly names the leaf the tree after
# it will (a refresh changes the sums of a few leaves), so run_chunk asks for the next events'
# lines while this event runs: the lines of the walk of the next event (or, with prefetch_sites,
# of the one after: prefetch_tree_path), and with prefetch_sites the next event's leaf (walked on
# the spot, its lines asked for one event earlier), rate row, site and neighbourhood.  These are
# hints: nothing waits for them or reads them, so a wrong guess costs a few instructions, and the
# trajectory is the same bit for bit.
# The levels below a node whose lines one hint each asks for: the five lowest of the walk (1 + 1 +
# 1 + 2 + 4 lines of 8 nodes); above them the tree (2^14 nodes for 2^19 leaves) stays cached.
SUBTREE_PREFETCH_LEVELS = 5
# Rows around a vacancy whose words the next event will read: three layers up and down, a row
# either way, which hold the sites within two steps of it and of the neighbour it swaps with,
# whichever that is (the near rows of its refresh).  On the 3e7-site box (docs/performance.md,
# ninth round) two layers ran 5-10 % slower, four no faster, and two rows either way 4 % slower
# (while loss sums were stored, two layers and one row had been best).
NEIGHBOURHOOD_LAYERS, NEIGHBOURHOOD_ROWS = 3, 1


@kernel_inlined
def prefetch_tree_path(tree, cap, u):
    """The walk of tree_find for u down to SUBTREE_PREFETCH_LEVELS above the leaves (where the
    tree stays cached), then a hint for every line of the subtree below: its lines arrive while
    the walk is not yet waiting for them."""
    i, u = _tree_descend(tree, 1, cap >> SUBTREE_PREFETCH_LEVELS, u)
    prefetch_subtree(tree, i)


@kernel_inlined
def prefetch_subtree(tree, i):
    """A hint for every line of the SUBTREE_PREFETCH_LEVELS levels below node i."""
    for level in range(1, SUBTREE_PREFETCH_LEVELS + 1):
        for node in range(i << level, (i + 1) << level, 8):
            prefetch(tree, node)


@kernel_inlined
def leaf_guess(tree, cap, u):
    """The leaf tree_find(tree, cap, u) names, without its rounding check (a guess to prefetch
    for; an empty leaf is a harmless guess)."""
    return _tree_descend(tree, 1, cap, u)[0] - cap


@kernel_inlined
def prefetch_neighbourhood(site_word, v, nx, spl):
    """Hints for the lines of words around site v (NEIGHBOURHOOD_LAYERS, _ROWS), clipped to the
    array (a hint past an array's end is not allowed)."""
    last = site_word.shape[0] - 1
    first = v - NEIGHBOURHOOD_LAYERS * spl - NEIGHBOURHOOD_ROWS * nx
    step = spl - (2 * NEIGHBOURHOOD_ROWS + 1) * nx
    clip = first < 0 or v + NEIGHBOURHOOD_LAYERS * spl + NEIGHBOURHOOD_ROWS * nx > last
    s = first
    for _ in range(2 * NEIGHBOURHOOD_LAYERS + 1):
        for _ in range(2 * NEIGHBOURHOOD_ROWS + 1):
            r = min(max(s, 0), last) if clip else s
            prefetch(site_word, r)
            s += nx
        s += step


@kernel
def tree_find(tree, cap, u):
    """Leaf holding u in [0, tree[1]) and u's offset into it (_tree_descend).

    Rounding can let u reach a zero-rate subtree (u >= left with right == 0): the walk then ends
    on an empty leaf and is redone keeping left wherever the right sibling is empty, which on
    every other walk would have made the same choices."""
    u0 = u
    i, u = _tree_descend(tree, 1, cap >> SUBTREE_PREFETCH_LEVELS, u)
    prefetch_subtree(tree, i)   # where prefetch_tree_path's guess was wrong, the lines below come at once
    i, u = _tree_descend(tree, i, cap, u)
    if tree[np.uint64(i)] > 0.0:
        return i - cap, u
    i = 1
    u = u0
    while i < cap:
        left = tree[2 * i]
        if u < left or tree[2 * i + 1] <= 0.0:
            i = 2 * i
        else:
            u -= left
            i = 2 * i + 1
    return i - cap, u


@kernel
def rebuild_tree(vacancy_rates, n_vac, tree):
    """Fill the tree (2 * cap entries) from the rate rows of vacancies 0..n_vac-1: each leaf the
    row summed slot by slot in order, as the engine sums it, zeros beyond, then every node the
    sum of its two children: the tree the engine would hold, bit for bit."""
    cap = tree.shape[0] // 2
    tree[:] = 0.0
    for k in range(n_vac):
        total = 0.0
        for d in range(N_SLOTS):
            total += vacancy_rates[k, d]
        tree[cap + k] = total
    for i in range(cap - 1, 0, -1):
        tree[i] = tree[2 * i] + tree[2 * i + 1]


@kernel
def set_leaf(tree, cap, k, total):
    if total != tree[cap + k]:  # e.g. a void's inner vacancy stays at 0: nothing to propagate
        tree_set(tree, cap, k, total)


@kernel_inlined
def set_slot(vacancy_rates, tree, cap, k, d, r):
    """Set slot d of vacancy k to rate r, and its leaf to the row's sum if that changed it."""
    if r != vacancy_rates[k, d]:
        vacancy_rates[k, d] = r
        total = 0.0
        for e in range(N_SLOTS):
            total += vacancy_rates[k, e]
        tree_set(tree, cap, k, total)
