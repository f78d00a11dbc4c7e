"""Rates at the cell's own kinetics (docs/rates.md): the steady interface at a given vacancy
supersaturation (``steady``), the interface vacancy clusters (``clusters``), forward-flux sampling
of void nucleation (``ffs``), pre-existing defects and their growth probability (``defects``) and
the other interface rates a um-scale model needs (``interface``, ``voids``).

Everything here drives the engine through the ``Simulation`` API only (``step``, the state arrays,
``get_state``/``set_state``); every run has acceleration 1, so hops, escape and exchange with the
electrode all have their cell rates.
"""
