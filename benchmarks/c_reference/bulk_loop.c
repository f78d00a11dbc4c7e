/* A reference event loop in C for the bulk box of the second-moment energy form (the speed
 * target's "careful C loop"): the same kMC as kmc.engine.loop.run_chunk on a periodic bulk box, written the way
 * a careful C programmer would write it, so that the engine's speed can be judged against C on the
 * machine at hand (benchmarks/c_reference.py builds, checks and times it).
 *
 * Same algorithm and the same numbers, not the same code: events keyed on vacancies (8 hop slots
 * per vacancy, a binary sum tree over the rows), one 32-bit word per site (neighbour counts,
 * species, vacancy index; kmc.sites), a hop's loss sum summed from the atom's neighbours' words
 * where it is read (kmc.rates.bulk_loss_sum_eV), and after each hop only the rows and slots it can have
 * changed recomputed (the rule of kmc.engine.refresh._refresh_around_embedding).
 * Neighbours come from a full (n_sites, 8) table: no fast path for the box interior.  The rate of a
 * hop is read off the tables the Python model builds (RateModel.bulk_by_word, the KRA barriers),
 * so a run from a given state ends bit for bit where the engine's ends (checked by
 * tests/test_c_reference.py); with it, the comparison times the same work.
 *
 * Compile without -ffast-math and with -ffp-contract=off: the sums must round as numba's do.
 */
#include <math.h>
#include <stdint.h>

enum { VACANCY = 0, HOST = 1, SOLUTE = 2 };
enum { N_SLOTS = 9, EXIT_SLOT = 8 };
enum { BY_WORD_GAIN = 0, BY_WORD_LOSS = 1, BY_WORD_ATOM_SIDE = 2, BY_WORD_VACANCY_SIDE = 2 };
#define WORD_COLUMNS 1024
#define MEMO_SIZE 4096

/* Everything the loop reads and writes; the arrays are the engine's own layouts (numpy arrays
 * handed over by ctypes, in benchmarks/c_reference.py's Box, which must match this). */
typedef struct {
    int64_t spl;                 /* sites per layer: a site's layer is s / spl */
    const int32_t *nbr;          /* (n_sites, 8) first neighbours, the engine's slot order */
    const int32_t *opposite;     /* (8,) slot of the reverse vector */
    const int64_t *second_via;   /* (8, 8) Geometry.second_via */
    const double *by_word;       /* (5, 1024) RateModel.bulk_by_word */
    const double *kra_eV;        /* (3,) host, host near a solute, solute */
    double nu_Hz, inv_kT;
    int64_t cap;                 /* vacancy capacity (leaves of the tree) */
    uint32_t *word;              /* per site (kmc.sites) */
    int32_t *site_vac;           /* per site, the vacancy index; NULL: the index is in the word */
    int32_t *vac_site;           /* per vacancy */
    double *rates;               /* (cap, 9) */
    double *tree;                /* 2 cap */
    int64_t *stamp;              /* per vacancy */
    int64_t *ints;               /* State.ints: [5] is the refresh stamp counter */
    int64_t *counts;             /* Tally.counts: [0] host hops, [1] solute hops */
    double *clock;               /* kMC time (s) */
    uint64_t *rng;               /* xoshiro256** state */
    int64_t *layer_vac;          /* per layer: vacancies, and their count x time integral */
    double *layer_vac_time;
    double *layer_last_t;
    int64_t *memo_key;           /* MEMO_SIZE each: exp memo (values equal the direct call) */
    double *memo_val;
} Box;

#define I_STAMP 5

static inline int species(uint32_t w) { return (int)((w >> 12) & 3); }
static inline int count(uint32_t w, int sp) { return (int)((w >> (4 * sp)) & 15); }
static inline uint32_t word_column(uint32_t w) { return (w >> 4) & 0x3FF; }
static inline int64_t vacancy_at(const Box *b, int64_t s)
{
    return b->site_vac ? (int64_t)b->site_vac[s] : (int64_t)(b->word[s] >> 14);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline double uniform(uint64_t *s)
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return (double)(result >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------------------------ sum tree */
static inline void tree_set(double *tree, int64_t cap, int64_t k, double value)
{
    int64_t i = cap + k;
    tree[i] = value;
    while (i > 1) {
        value += tree[i ^ 1];
        i >>= 1;
        tree[i] = value;
    }
}

static inline void set_leaf(double *tree, int64_t cap, int64_t k, double total)
{
    if (total != tree[cap + k])
        tree_set(tree, cap, k, total);
}

/* The leaf holding u, and u's offset into it; a walk that rounding ends on an empty leaf is
 * redone keeping left wherever the right sibling is empty (as the engine does). */
static inline int64_t tree_find(const double *tree, int64_t cap, double *u_io)
{
    double u = *u_io, u0 = u;
    int64_t i = 1;
    while (i < cap) {
        double left = tree[2 * i];
        int right = u >= left;
        i = 2 * i + right;
        u -= right ? left : 0.0;
    }
    if (tree[i] <= 0.0) {
        i = 1;
        u = u0;
        while (i < cap) {
            double left = tree[2 * i];
            if (u < left || tree[2 * i + 1] <= 0.0) {
                i = 2 * i;
            } else {
                u -= left;
                i = 2 * i + 1;
            }
        }
    }
    *u_io = u;
    return i - cap;
}

/* ------------------------------------------------------------------------------ rates */
static inline double arrhenius(Box *b, double ea)
{
    union { double d; int64_t i; } bits = { ea };
    int64_t h = (bits.i ^ (bits.i >> 29) ^ (bits.i >> 41)) & (MEMO_SIZE - 1);
    if (b->memo_key[h] == bits.i)
        return b->memo_val[h];
    double r = b->nu_Hz * exp(-ea * b->inv_kT);
    b->memo_key[h] = bits.i;
    b->memo_val[h] = r;
    return r;
}

/* Rate of atom x (word w_j, loss sum loss_j) hopping into a vacancy whose side of the energy
 * change is vacancy_side_eV; Ea = max(E_kra + dE/2, dE, 0) (kmc.rates.barrier_eV). */
static inline double hop_rate(Box *b, int x, double vacancy_side_eV, int solute_near_v, uint32_t w_j, double loss_j)
{
    double dE = vacancy_side_eV + b->by_word[BY_WORD_ATOM_SIDE * WORD_COLUMNS + word_column(w_j)] + loss_j;
    int near_solute = solute_near_v || count(w_j, SOLUTE) != 0;
    double kra = x == SOLUTE ? b->kra_eV[2] : (near_solute ? b->kra_eV[1] : b->kra_eV[0]);
    double ea = kra + 0.5 * dE;
    if (ea < dE)
        ea = dE;
    if (ea < 0.0)
        ea = 0.0;
    return arrhenius(b, ea);
}

/* Sum of by_word's row over the 8 sites ns, in slot order (on the energy grid: exact in any
 * order).  BY_WORD_GAIN over a vacancy's neighbours: what they gain; BY_WORD_LOSS over an atom's:
 * what they lose when it leaves. */
static inline double by_word_sum(const Box *b, const int32_t *ns, int row)
{
    double total = 0.0;
    for (int e = 0; e < 8; e++)
        total += b->by_word[row * WORD_COLUMNS + word_column(b->word[ns[e]])];
    return total;
}

/* All 8 hop rates of the vacancy k at v (and the zero exit); returns their sum. */
static double vacancy_row(Box *b, int64_t v, int64_t k)
{
    const int32_t *nv = b->nbr + 8 * v;
    double gain = by_word_sum(b, nv, BY_WORD_GAIN);
    uint32_t w_v = b->word[v];
    uint32_t col = word_column(w_v);
    double side_host = b->by_word[(BY_WORD_VACANCY_SIDE + HOST) * WORD_COLUMNS + col] + gain;
    double side_solute = b->by_word[(BY_WORD_VACANCY_SIDE + SOLUTE) * WORD_COLUMNS + col] + gain;
    int solutes_v = count(w_v, SOLUTE);
    double *row = b->rates + N_SLOTS * k;
    double total = 0.0;
    for (int d = 0; d < 8; d++) {
        int64_t j = nv[d];
        uint32_t w_j = b->word[j];
        int x = species(w_j);
        double r = 0.0;
        if (x == SOLUTE)
            r = hop_rate(b, x, side_solute, solutes_v > 1, w_j, by_word_sum(b, b->nbr + 8 * j, BY_WORD_LOSS));
        else if (x == HOST)
            r = hop_rate(b, x, side_host, solutes_v > 0, w_j, by_word_sum(b, b->nbr + 8 * j, BY_WORD_LOSS));
        row[d] = r;
        total += r;
    }
    row[EXIT_SLOT] = 0.0;
    return total;
}

/* Rate of the atom at n hopping into the vacancy at u. */
static inline double rate_into(Box *b, int64_t u, int64_t n)
{
    double gain = by_word_sum(b, b->nbr + 8 * u, BY_WORD_GAIN);
    uint32_t w_u = b->word[u], w_n = b->word[n];
    int x = species(w_n);
    double side = b->by_word[(BY_WORD_VACANCY_SIDE + x) * WORD_COLUMNS + word_column(w_u)] + gain;
    return hop_rate(b, x, side, count(w_u, SOLUTE) > (x == SOLUTE), w_n, by_word_sum(b, b->nbr + 8 * n, BY_WORD_LOSS));
}

static inline void set_slot(Box *b, int64_t k, int d, double r)
{
    double *row = b->rates + N_SLOTS * k;
    if (r != row[d]) {
        row[d] = r;
        double total = 0.0;
        for (int e = 0; e < N_SLOTS; e++)
            total += row[e];
        tree_set(b->tree, b->cap, k, total);
    }
}

/* ------------------------------------------------------------------------------ site updates */
/* Species new at s; the neighbours' counts follow. */
static void set_species(Box *b, int64_t s, int new_species)
{
    const int32_t *ns = b->nbr + 8 * s;
    int old_species = species(b->word[s]);
    b->word[s] = (b->word[s] & ~(3u << 12)) | ((uint32_t)new_species << 12);
    uint32_t delta = (1u << (4 * new_species)) - (1u << (4 * old_species));
    for (int e = 0; e < 8; e++)
        b->word[ns[e]] += delta;
}

static inline void layer_move(Box *b, int64_t from, int64_t to, double t)
{
    if (from == to)
        return;
    b->layer_vac_time[from] += b->layer_vac[from] * (t - b->layer_last_t[from]);
    b->layer_last_t[from] = t;
    b->layer_vac[from] -= 1;
    b->layer_vac_time[to] += b->layer_vac[to] * (t - b->layer_last_t[to]);
    b->layer_last_t[to] = t;
    b->layer_vac[to] += 1;
}

/* ------------------------------------------------------------------------------ refresh */
static inline void refresh_row(Box *b, int64_t u, int64_t tag)
{
    int64_t k = vacancy_at(b, u);
    if (b->stamp[k] != tag) {
        b->stamp[k] = tag;
        set_leaf(b->tree, b->cap, k, vacancy_row(b, u, k));
    }
}

static inline int bit_count8(int x) { return __builtin_popcount((unsigned)x & 0xFF); }

/* After a hop that changed sites s0 and s1: (1) every vacancy on or next to a changed site, and
 * every vacancy next to a metal neighbour of one (that neighbour's gain changed), gets its row
 * recomputed; (2) every atom two steps from a changed site through a metal neighbour (its loss
 * sum changed) has its hop into each vacancy next to it redone, unless (1) did that row. */
static void refresh(Box *b, int64_t s0, int64_t s1)
{
    int64_t tag = ++b->ints[I_STAMP];
    int64_t changed[2] = { s0, s1 };
    for (int c = 0; c < 2; c++) {
        int64_t s = changed[c];
        const int32_t *ns = b->nbr + 8 * s;
        int s_vacant = species(b->word[s]) == VACANCY;
        if (s_vacant)
            refresh_row(b, s, tag);
        for (int a = 0; a < 8; a++) {
            int64_t n = ns[a];
            uint32_t w_n = b->word[n];
            if (species(w_n) == VACANCY) {
                refresh_row(b, n, tag);
                continue;
            }
            int unseen = count(w_n, VACANCY);
            if (unseen == s_vacant)
                continue;
            const int32_t *nn = b->nbr + 8 * n;
            for (int e = 0; e < 8 && unseen > 0; e++) {
                if (species(b->word[nn[e]]) != VACANCY)
                    continue;
                unseen--;
                refresh_row(b, nn[e], tag);
            }
        }
    }
    for (int c = 0; c < 2; c++) {
        int64_t s = changed[c];
        const int32_t *ns = b->nbr + 8 * s;
        int metal = 0, vacant = 0;
        for (int a = 0; a < 8; a++) {
            if (species(b->word[ns[a]]) != VACANCY)
                metal |= 1 << a;
            else
                vacant |= 1 << a;
        }
        for (int a = 0; a < 8; a++) {
            if (!((metal >> a) & 1))
                continue;
            const int32_t *nn = b->nbr + 8 * ns[a];
            for (int e = 0; e < 8; e++) {
                int64_t q = nn[e];
                uint32_t w_q = b->word[q];
                if (q == s || species(w_q) == VACANCY)
                    continue;
                int unseen = count(w_q, VACANCY);
                if (unseen == 0)
                    continue;
                int via = (int)b->second_via[8 * a + e];
                if (via & metal & ((1 << a) - 1))
                    continue;   /* q is reached through an earlier metal neighbour of s */
                if (unseen == bit_count8(via & vacant))
                    continue;   /* all q's vacancies neighbour s: their rows are done */
                const int32_t *nq = b->nbr + 8 * q;
                for (int f = 0; f < 8 && unseen > 0; f++) {
                    int64_t u = nq[f];
                    if (species(b->word[u]) != VACANCY)
                        continue;
                    unseen--;
                    int64_t k = vacancy_at(b, u);
                    if (b->stamp[k] != tag)
                        set_slot(b, k, b->opposite[f], rate_into(b, u, q));
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------------ the loop */
/* Run n_events hops; returns the events done, or -1 if a draw named the (empty) exit slot, which
 * the bulk box does not have (the engine would then take the exit event and the runs part). */
int64_t run_events(Box *b, int64_t n_events)
{
    for (int64_t done = 0; done < n_events; done++) {
        double total = b->tree[1];
        if (total <= 0.0)
            return done;
        double u = uniform(b->rng) * total;
        double dt = -log(1.0 - uniform(b->rng)) / total;
        *b->clock += dt;
        int64_t k = tree_find(b->tree, b->cap, &u);
        const double *row = b->rates + N_SLOTS * k;
        int d = 0;
        while (d < N_SLOTS - 1 && (u >= row[d] || row[d] <= 0.0)) {
            u -= row[d];
            d++;
        }
        if (d == EXIT_SLOT)
            return -1;
        int64_t v = b->vac_site[k];
        int64_t j = b->nbr[8 * v + d];
        int x = species(b->word[j]);
        set_species(b, v, x);
        set_species(b, j, VACANCY);
        b->vac_site[k] = (int32_t)j;
        if (b->site_vac) {
            b->site_vac[j] = (int32_t)k;
            b->site_vac[v] = -1;
        } else {
            b->word[j] = (b->word[j] & 0x3FFF) | ((uint32_t)k << 14);
            b->word[v] &= 0x3FFF;
        }
        layer_move(b, v / b->spl, j / b->spl, *b->clock);
        b->counts[x == SOLUTE ? 1 : 0] += 1;
        refresh(b, v, j);
    }
    return n_events;
}
