"""What the void analysis computes, in words and as columns: the definitions stored as attributes
of /analysis and the tables' columns (name: unit, description)."""
from __future__ import annotations

from kmc.runfile import RunFileError

EVENT_KINDS = ("nucleation", "growth", "shrinkage", "coalescence", "split", "collapse", "dissolution")


# Version of the /analysis layout and definitions; readers refuse other versions (re-run kmc analyze).
# 1: every first-neighbour vacancy cluster was a void, section runs were raw L1 vacancy runs.
# 2: L1 vacancies join in-plane, a minimum void width, isolated vacancies apart, section runs
#    bridged over undercut metal, solute (not Mg) names.
# 3: the clusters at a pore's mouth are the pore's void, apart from the voids (PORE_RULE; pore_* columns).
FORMAT_VERSION = 3

# The smallest lateral extent (width) of a void, nm.  A vacancy is ~0.35 nm across and a
# di- or tri-vacancy reaches ~0.5-0.9 nm; an electron-microscope section shows a gap as a void
# only once it is a few atoms wide.  1 nm (about three Li lattice constants) keeps point defects
# and few-vacancy clusters out of the void statistics while keeping every void the nm boxes can
# hold; --min-void-nm 5 or 10 mimics a FIB-SEM's lateral resolution on boxes wide enough.
DEFAULT_MIN_VOID_nm = 1.0

VOID_DEFINITION = (
    "a vacancy cluster is a connected set of vacant sites, joined through first neighbours of the "
    "file's neighbour table (periodic in x and y) and, in the contact layer L1, also in-plane between "
    "L1 sites a apart (with the [001] normal no first-neighbour bond lies inside a layer, yet two "
    "adjacent vacant L1 sites are one gap in the contact).  A cluster is a void when its width is at "
    "least min_void_nm (attribute of /analysis); smaller clusters are isolated vacancies, counted per "
    "frame but not as voids.  A cluster that reaches the pore's mouth is neither (pore_rule).  An interface "
    "void holds at least one L1 site (all under the electrolyte: contact lost), a buried void none.  "
    "Every site counts one column wide and one "
    "layer thick: the extent along an axis is the distance between the outermost site centres plus "
    "the site pitch, measured on the periodic circle in x and y (box length minus the largest empty "
    "gap).  width = the larger x or y extent of the projection of all the void's sites on the "
    "interface plane; height = depth of the deepest site + one layer spacing for an interface void "
    "(how far it reaches below the electrolyte), its own z extent for a buried void; equivalent "
    "diameter = 2 sqrt(area / pi) with the L1 footprint area (interface void) or the projected area "
    "(buried void); centroid x, y = circular mean over the periodic box, z = mean depth.")

PORE_RULE = (
    "the pellet's face is porous (docs/physics.md section 9) and the box holds one pore's edge (kmc.pore): "
    "its mouth is the L1 sites with no electrolyte above them, never contact, so the contact fraction starts "
    "at 1 - their share.  A vacancy cluster holding a vacant mouth site is the pore's void: metal receded "
    "from the pore, not a void of the contact.  It is counted apart (pore_void_vacancies, "
    "pore_rim_gap_sites: its L1 sites under the electrolyte, the contact lost at the pore's rim, "
    "pore_void_depth_nm), never as a void, an isolated vacancy or a section's void, and is not tracked.  "
    "Without a pore (electrolyte.box_pore = 'none', or a file without an [electrolyte] table) there is "
    "no such cluster.")

SECTION_RULE = (
    "an SEM-like section is an L1 row in x (periodic); each L1 site on it is read as the void it "
    "belongs to, and a stretch of metal L1 sites between two sites of the same void is read as that "
    "void too when every site of the stretch is undercut by it (has a first neighbour below that "
    "belongs to the void): the section line then passes through one void, which a lone surviving "
    "atom does not split.  Voids per um of section = runs of equal void along every L1 row / total "
    "row length; a fully covered row is one run.")

TRACKING_RULE = (
    "a void of frame t and one of frame t+1 are linked when they share a site; a void that shares "
    "no site with any void of the other frame is linked instead to every void of the other frame "
    "that holds a first neighbour of one of its sites.  Events, recorded at frame t+1: nucleation "
    "(void without ancestor, or a cluster grown to the minimum width), growth / shrinkage (one "
    "ancestor with one descendant, size up / down; equal size is no event), coalescence (void with "
    "two or more ancestors), split (void with two or more descendants), collapse (interface void "
    "without descendant: its former L1 footprint is metal again, or what is left of it is narrower "
    "than the minimum), dissolution (buried void without descendant).  Track ids: each ancestor passes its id to its largest descendant; "
    "a void offered several ids keeps that of its largest ancestor; other voids get new ids.  "
    "Voids of frame 0 get ids without nucleation events.")

# name: (unit, description); the order is the column order in the file.
FRAME_COLUMNS = {
    "frame": ("1", "frame index in /particles/metal/species"),
    "step": ("1", "event count at the frame"),
    "time_s": ("s", "kMC time at the frame"),
    "stripped_charge_mAh_cm2": ("mAh/cm^2", "/observables/stripped_charge at the frame step "
                                            "(NaN if no sample was written at that step)"),
    "stripped_monolayers": ("monolayer", "/observables/stripped_monolayers at the frame step "
                                         "(NaN if no sample was written at that step)"),
    "contact_fraction": ("1", "L1 sites under the electrolyte holding metal that a path of first-neighbour "
                         "metal sites joins to the electrode / all L1 sites, the pore's mouth included "
                         "(electrical contact; starts at 1 - the mouth's share; NaN without an interface)"),
    "interface_void_count": ("1", "voids holding at least one L1 site (under the electrolyte; the pore's "
                                  "void is not one)"),
    "buried_void_count": ("1", "voids without an L1 site"),
    "isolated_vacancy_count": ("1", "vacant sites in no void (single vacancies and clusters narrower "
                                    "than min_void_nm)"),
    "isolated_l1_vacancy_count": ("1", "vacant L1 sites under the electrolyte in no void and not in the pore's "
                                       "void (lost contact that is not a void)"),
    "pore_mouth_sites": ("1", "L1 sites at the pore's mouth (no electrolyte above: never contact; 0 without a "
                              "pore; /analysis attrs pore_rule)"),
    "pore_void_vacancies": ("1", "vacant sites in the pore's void: clusters holding a vacant mouth site (metal "
                                 "receded from the pore; not voids)"),
    "pore_rim_gap_sites": ("1", "L1 sites under the electrolyte in the pore's void: the contact lost at the "
                                "pore's rim"),
    "pore_void_depth_nm": ("nm", "deepest site of the pore's void below L1 + one layer spacing (NaN without "
                                 "one)"),
    "interface_voids_per_um2": ("um^-2", "interface voids / interface area"),
    "interface_voids_per_um_section": ("um^-1", "voids met along every L1 row in x / total row length: "
                                                "the void density an SEM cross-section sees "
                                                "(/analysis attrs section_rule)"),
    "max_void_width_nm": ("nm", "largest interface-void width (NaN without interface voids)"),
    "max_void_height_nm": ("nm", "largest interface-void height (NaN without interface voids)"),
    "void_width_q1_nm": ("nm", "first quartile of interface-void widths"),
    "void_width_median_nm": ("nm", "median interface-void width"),
    "void_width_q3_nm": ("nm", "third quartile of interface-void widths"),
    "void_height_q1_nm": ("nm", "first quartile of interface-void heights"),
    "void_height_median_nm": ("nm", "median interface-void height"),
    "void_height_q3_nm": ("nm", "third quartile of interface-void heights"),
    "interface_solute_fraction": ("1", "solute / metal atoms in L1 (NaN without metal there or without an "
                                       "interface)"),
    "overpotential_mV": ("mV", "Butler-Volmer current-focusing estimate (see /analysis attrs overpotential_model)"),
    **{f"n_{kind}": ("1", f"{kind} events up to and including this frame") for kind in EVENT_KINDS},
}
VOID_COLUMNS = {
    "frame": ("1", "frame index"),
    "track_id": ("1", "persistent void id across frames"),
    "sites": ("1", "vacant sites in the void"),
    "volume_nm3": ("nm^3", "sites x atomic volume a^3/2"),
    "footprint_sites": ("1", "L1 sites of the void"),
    "footprint_area_nm2": ("nm^2", "footprint sites x interface area / L1 sites"),
    "width_nm": ("nm", "larger x or y extent of the projection on the interface plane, periodic-aware"),
    "equivalent_diameter_nm": ("nm", "2 sqrt(area / pi); area = footprint area (interface voids) "
                                     "or projected area (buried voids)"),
    "height_nm": ("nm", "interface void: depth of the deepest site + one layer spacing; "
                        "buried void: z extent (+ one layer spacing)"),
    "centroid_x_A": ("angstrom", "circular mean over the periodic box"),
    "centroid_y_A": ("angstrom", "circular mean over the periodic box"),
    "centroid_z_A": ("angstrom", "mean depth below the electrolyte"),
    "interface": ("1", "1 for an interface void, 0 for a buried void"),
}
EVENT_COLUMNS = {
    "frame": ("1", "frame at which the event is first seen"),
    "kind": ("", ", ".join(EVENT_KINDS)),
    "parents": ("", "track ids of the voids before the event (frame - 1), comma separated"),
    "children": ("", "track ids of the voids after the event (frame), comma separated"),
    "parent_sites": ("", "sizes (sites) of the parents, same order"),
    "child_sites": ("", "sizes (sites) of the children, same order"),
}


class AnalysisInputError(RunFileError):
    """A file or argument the analysis cannot use; the message says what is wrong and what is allowed.
    A RunFileError, so readers that run the analysis (``kmc plot --kind voids``) report it the same way."""
