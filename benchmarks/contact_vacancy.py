"""Where a stripped vacancy goes at the contact (kmc.interface_rates.contact; docs/alloy.md section 6): the
walks' collecting length and escape time per composition below the contact, with the numerics' checks (a
wider box, a deeper escape layer) and the comparison with the pore edge's capture length.

    python benchmarks/contact_vacancy.py --params li_li2s limg_li2s --trials 200
    python benchmarks/contact_vacancy.py --params li_li2s --trials 200 --cells 24,24,6
    python benchmarks/contact_vacancy.py --params li_li2s --trials 200 --escape-layer 6

Prints one line per (set, composition): lambda and tau with their standard errors, the encounter number at
the set's current, the sink ratio against the set's own x = 0 row, and the [pore_edge] capture length."""
from __future__ import annotations

import argparse
import time

from kmc.config import load_config, resolve_params
from kmc.interface_rates import contact, edge
from kmc.model import cell_supersaturation
from kmc.physics.contact_vacancy import collection_length, encounter_number, mean_with_error, sink_ratio
from kmc.physics.pore_edge import read_records


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", nargs="+", default=["li_li2s", "limg_li2s"])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--solute", default=None, help="comma-separated subsurface fractions (default: the set's rows)")
    ap.add_argument("--cells", default=",".join(map(str, contact.CONTACT_CELLS)))
    ap.add_argument("--escape-layer", type=int, default=edge.ESCAPE_LAYER + 1, help="1 = L1 (default: L5)")
    ap.add_argument("--S", type=float, default=None, help="supersaturation (default: the cell's)")
    args = ap.parse_args(argv)
    cells = tuple(int(c) for c in args.cells.split(","))
    for name in args.params:
        st = load_config(resolve_params(name))
        S = cell_supersaturation(st) if args.S is None else args.S
        xs = (contact.default_fractions(st.composition.solute_fraction) if args.solute is None
              else [float(x) for x in args.solute.split(",")])
        edge_rows = read_records(st.pore_edge) if "pore_edge" in st.to_dict() else None
        ref = None
        for x in xs:
            t0 = time.process_time()
            w = contact.walks(st, S, args.trials, subsurface_fraction=x, cells=cells,
                              escape_layer=args.escape_layer - 1)
            lam, lam_se = collection_length(w.excursion_A)
            tau, tau_se = mean_with_error(w.time_s)
            ref = lam if ref is None else ref
            pe = f"{edge_rows.at('capture_length_nm', S)[0]:.2f} nm" if edge_rows is not None else "-"
            print(f"{name:10s} x = {x:<6g} L1 Mg {w.l1_solute_fraction:.3f}  lambda = {lam / 10:.2f} +- {lam_se / 10:.2f} nm"
                  f"  tau = {tau:.3g} +- {tau_se:.2g} s  trials {w.trials} ({w.undecided} undecided, {w.events} events)"
                  f"  encounters {encounter_number(st.conditions.current_density_mA_cm2, tau, lam / 10):.2g}"
                  f"  sink ratio vs first row {sink_ratio(lam, ref):.3f}  [pore_edge] capture length {pe}"
                  f"  box {args.cells} escape L{args.escape_layer} S {S:.3g}  CPU {time.process_time() - t0:.0f} s",
                  flush=True)


if __name__ == "__main__":
    main()
