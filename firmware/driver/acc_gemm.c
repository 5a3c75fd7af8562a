/* Tiled GEMM: the planner and the software-pipelined descriptor stream (acc_driver.h). */
#include <stdint.h>

#include "acc_driver.h"
#include "fw_job.h"

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
static uint32_t round_up(uint32_t x, uint32_t q) { return (x + q - 1) / q * q; }

/* A shape with its defaults filled in (B's rows, the buffer space). */
typedef struct gemm {
  uint64_t m, k, n, b_rows, act_words, wgt_words;
  int a_on_chip, c_on_chip;
} gemm_t;

/* Slots of a plan: how many tiles of each operand the buffers hold at once (A and C in the
 * activation buffer, B in the weight buffer). Two slots is double buffering; as many slots as
 * tiles keeps the operand resident. Whatever capacity is left goes to more slots (the next
 * steps' loads and the stores of the past ones run further ahead). 0 if the plan does not fit.
 * An operand on chip takes no slots of the plan's. */
static int plan_slots(const gemm_t *g, acc_gemm_plan_t *p) {
  const uint64_t m_tiles = ceil_div(g->m, p->mt), n_tiles = ceil_div(g->n, p->nt);
  const uint64_t a_tile = g->a_on_chip ? 0 : (uint64_t)p->mt * g->k, b_tile = g->b_rows * p->nt;
  const uint64_t c_tile = g->c_on_chip ? 0 : (uint64_t)p->mt * p->nt;
  const int ij = p->order == ACC_GEMM_ORDER_IJ;
  /* The passing operand (B for IJ, A for JI) is kept, or double-buffered. */
  uint64_t a = ij ? min_u64(m_tiles, 2) : (p->keep ? m_tiles : min_u64(m_tiles, 2));
  uint64_t b = ij ? (p->keep ? n_tiles : min_u64(n_tiles, 2)) : min_u64(n_tiles, 2);
  uint64_t c = min_u64(p->steps, 2);
  if (a * a_tile + c * c_tile > g->act_words || b * b_tile > g->wgt_words) return 0;
  for (int grew = 1; grew;) {
    grew = 0;
    if (c < p->steps && a * a_tile + (c + 1) * c_tile <= g->act_words) ++c, grew = 1;
    if (a < m_tiles && (a + 1) * a_tile + c * c_tile <= g->act_words && (ij || !p->keep)) ++a, grew = 1;
  }
  while (b < n_tiles && (b + 1) * b_tile <= g->wgt_words && !(ij && p->keep)) ++b;
  p->a_slots = (uint32_t)a, p->b_slots = (uint32_t)b, p->c_slots = (uint32_t)c;
  return 1;
}

/* DRAM words of a plan: the outer operand once, the passing one once per outer panel unless
 * kept, C once; nothing for an operand on chip. */
static uint64_t plan_traffic(const gemm_t *g, const acc_gemm_plan_t *p) {
  const uint64_t a = g->a_on_chip ? 0 : g->m * g->k, b = g->b_rows * g->n, c = g->c_on_chip ? 0 : g->m * g->n;
  const uint64_t m_tiles = ceil_div(g->m, p->mt), n_tiles = ceil_div(g->n, p->nt);
  if (p->order == ACC_GEMM_ORDER_IJ) return a + (p->keep ? 1 : m_tiles) * b + c;
  return b + (p->keep ? 1 : n_tiles) * a + c;
}

/* One step (i, j) of the walk: the tiles it uses and whether it loads them. */
typedef struct step {
  uint32_t i0, j0, mr, nc;   /* rows of A/C from i0, columns of B/C from j0 */
  uint32_t a_slot, b_slot;   /* word addresses of its A tile (act) and B tile (wgt) */
  uint32_t c_slot;           /* of its C tile, after the A slots in the activation buffer */
  int load_a, load_b;
} step_t;

static step_t plan_step(const gemm_t *g, const acc_gemm_plan_t *p, uint32_t s) {
  const uint32_t m_tiles = (uint32_t)ceil_div(g->m, p->mt), n_tiles = (uint32_t)ceil_div(g->n, p->nt);
  const int ij = p->order == ACC_GEMM_ORDER_IJ;
  const uint32_t ti = ij ? s / n_tiles : s % m_tiles, tj = ij ? s % n_tiles : s / m_tiles;
  step_t st;
  st.i0 = ti * p->mt, st.j0 = tj * p->nt;
  st.mr = (uint32_t)min_u64(p->mt, g->m - st.i0), st.nc = (uint32_t)min_u64(p->nt, g->n - st.j0);
  const uint32_t a_tile = p->mt * (uint32_t)g->k, b_tile = (uint32_t)g->b_rows * p->nt;
  if (ij) { /* A panel ti is outer (loaded when it starts); B tile tj passes (or stays: keep) */
    st.a_slot = ti % p->a_slots * a_tile;
    st.load_a = tj == 0;
    st.b_slot = (p->keep ? tj : s % p->b_slots) * b_tile;
    st.load_b = !p->keep || ti == 0;
  } else { /* B panel tj is outer; A tile ti passes (or stays) */
    st.b_slot = tj % p->b_slots * b_tile;
    st.load_b = ti == 0;
    st.a_slot = (p->keep ? ti : s % p->a_slots) * a_tile;
    st.load_a = !p->keep || tj == 0;
  }
  if (g->a_on_chip) st.load_a = 0;
  st.c_slot = s % p->c_slots * (p->mt * p->nt);
  return st;
}

/* DRAM time of moving `runs` runs of `words` contiguous words each (dense: 21 bits a word). A
 * DMA engine keeps dma_outstanding bursts in flight, so short bursts are bound by the latency. */
typedef struct dram_time {
  uint64_t data;     /* the bits at the channel's rate */
  uint64_t latency;  /* the bursts, latency-bound */
} dram_time_t;

static dram_time_t transfer_time(const acc_dev_t *dev, uint64_t runs, uint64_t words) {
  const uint64_t bw = dev->dram_bits_per_kcycle ? dev->dram_bits_per_kcycle : 1, burst = dev->dma_burst ? dev->dma_burst : 1;
  const uint64_t outstanding = dev->dma_outstanding ? dev->dma_outstanding : 1;
  dram_time_t t;
  t.data = ceil_div(runs * words * 21u * 1024u, bw);
  t.latency = ceil_div(runs * ceil_div(words, burst) * dev->dram_latency + t.data, outstanding);
  return t;
}

static void add_time(dram_time_t *sum, dram_time_t t) {
  sum->data += t.data;
  sum->latency += t.latency;
}

/* A transfer of a rows x cols tile of a matrix with `width` columns: one run if the rows are whole. */
static dram_time_t tile_time(const acc_dev_t *dev, uint64_t rows, uint64_t cols, uint64_t width) {
  return cols == width ? transfer_time(dev, 1, rows * cols) : transfer_time(dev, rows, cols);
}

/* DRAM cycles of one transfer: its data at the channel's rate, or, for short bursts, the
 * latency-bound pace of the DMA engine's requests in flight. */
static uint64_t transfer_cycles(dram_time_t t) { return max_u64(t.data, t.latency); }

/* Cycles the ports of one buffer need for `words` (dense: 21 bits a word). */
static uint64_t port_time(const acc_dev_t *dev, uint64_t words) {
  const uint64_t rate = (uint64_t)(dev->buf_bits_per_kcycle ? dev->buf_bits_per_kcycle : 1) * (dev->buf_ports ? dev->buf_ports : 1);
  return ceil_div(words * 21u * 1024u, rate);
}

/* Estimated cycles of a plan: the steps walked in order through two shared resources, the DRAM
 * and the PEs, as the hardware overlaps them. A step's loads start when the DRAM is free and the
 * slot they fill has been used up; its matmul starts when its loads are in and its C slot has
 * been stored; its store goes to the DRAM once the matmul is done, in turn with the loads that
 * are ready before it. A matmul occupies its share of the PEs (its output blocks over all PEs,
 * so small ones run side by side) and takes at least its own latency (the k-steps of a block
 * over one PE's lanes) and its operand traffic on the buffer ports. */
#define RING 64u /* steps remembered: a slot reused further back is long free */
typedef struct walk {
  uint64_t dram;                       /* cycle the DRAM is free */
  uint64_t end;                        /* latest completion so far */
  uint64_t comp_done[RING], store_done[RING];
  struct {
    uint64_t ready, cycles;
    uint32_t step;
  } stores[RING];                      /* stores waiting for the DRAM, oldest first */
  uint32_t first_store, stores_pending;
} walk_t;

/* The DRAM serves the oldest waiting store. */
static void serve_store(walk_t *w, uint64_t latency) {
  const uint32_t i = w->first_store % RING, step = w->stores[i].step;
  w->dram = max_u64(w->dram, w->stores[i].ready) + w->stores[i].cycles;
  w->store_done[step % RING] = w->dram + latency;
  w->end = max_u64(w->end, w->store_done[step % RING]);
  ++w->first_store, --w->stores_pending;
}

static uint64_t plan_cycles(const acc_dev_t *dev, const gemm_t *g, acc_gemm_plan_t *p, uint64_t give_up) {
  const uint64_t q = dev->tile_x, pes = dev->pes ? dev->pes : 1, k = g->k;
  const uint64_t n_tiles = ceil_div(g->n, p->nt), m_tiles = ceil_div(g->m, p->mt);
  const int ij = p->order == ACC_GEMM_ORDER_IJ;
  walk_t w;
  w.dram = w.end = 0, w.first_store = w.stores_pending = 0;
  uint64_t pe = 0, act_words = 0, wgt_words = 0;
  for (uint32_t s = 0; s < p->steps; ++s) {
    const step_t st = plan_step(g, p, s);
    /* Loads, once the slot they fill is free (its last user has computed). */
    uint64_t ready = 0;
    dram_time_t loads = {0, 0};
    if (st.load_a) {
      add_time(&loads, tile_time(dev, st.mr, k, k));
      act_words += (uint64_t)st.mr * k;
      const uint64_t back = ij ? (uint64_t)p->a_slots * n_tiles - (s % n_tiles) : p->a_slots; /* steps since the slot's last use */
      if (back <= s && back <= RING) ready = max_u64(ready, w.comp_done[(s - back) % RING]);
    }
    if (st.load_b) {
      add_time(&loads, tile_time(dev, g->b_rows, st.nc, g->n));
      wgt_words += g->b_rows * st.nc;
      const uint64_t back = ij ? p->b_slots : (uint64_t)p->b_slots * m_tiles - (s % m_tiles);
      if (back <= s && back <= RING) ready = max_u64(ready, w.comp_done[(s - back) % RING]);
    }
    /* Stores ready before these loads can start go first. */
    while (w.stores_pending && w.stores[w.first_store % RING].ready <= max_u64(w.dram, ready)) serve_store(&w, dev->dram_latency);
    w.dram = max_u64(w.dram, ready) + transfer_cycles(loads);
    uint64_t start = w.dram + (loads.data ? dev->dram_latency : 0);
    /* The matmul, once its C slot (last used by step s - c_slots) has been stored. */
    if (!g->c_on_chip && p->c_slots <= s) {
      while (w.stores_pending && w.stores[w.first_store % RING].step <= s - p->c_slots) serve_store(&w, dev->dram_latency);
      if (p->c_slots <= RING) start = max_u64(start, w.store_done[(s - p->c_slots) % RING]);
    }
    const uint64_t mr = st.mr, nc = st.nc;
    const uint64_t blocks = ceil_div(mr, q) * ceil_div(nc, q);
    const uint64_t block = ceil_div(ceil_div(k, q), dev->lanes ? dev->lanes : 1) * q * q * q / (dev->macs ? dev->macs : 1);
    const uint64_t ports = max_u64(port_time(dev, mr * k + mr * nc), port_time(dev, g->b_rows * nc));
    pe = max_u64(pe, start) + max_u64(ceil_div(blocks * block, pes), ports);
    const uint64_t computed = max_u64(start + max_u64(ceil_div(blocks, pes) * block, ports), pe);
    w.comp_done[s % RING] = computed;
    w.end = max_u64(w.end, computed);
    if (w.end + 8u * p->steps >= give_up) return UINT64_MAX; /* already worse than a plan in hand */
    act_words += mr * k + (g->c_on_chip ? 1u : 2u) * mr * nc; /* A read, C written (and stored) */
    wgt_words += g->b_rows * nc;
    if (!g->c_on_chip) {
      if (w.stores_pending == RING) serve_store(&w, dev->dram_latency);
      const uint32_t i = (w.first_store + w.stores_pending++) % RING;
      w.stores[i].ready = computed, w.stores[i].cycles = transfer_cycles(tile_time(dev, mr, nc, g->n)), w.stores[i].step = s;
    }
  }
  while (w.stores_pending) serve_store(&w, dev->dram_latency);
  p->buffer_words = act_words + wgt_words;
  const uint64_t ports_all = max_u64(port_time(dev, act_words), port_time(dev, wgt_words));
  p->port_cycles = ports_all;
  return max_u64(w.end, ports_all) + 8u * p->steps; /* + descriptor fetch and issue */
}
#undef RING

static uint64_t plan_cost(const acc_gemm_plan_t *p) { return p->est_cycles + p->port_cycles / 4; }

/* The tile size after t in the series q, 2q, 3q, 4q, 6q, 8q, 12q, ..., capped at `full`. */
static uint32_t next_size(uint32_t t, uint32_t q, uint32_t full) {
  const uint32_t units = t / q;
  uint32_t next = units < 2 ? 2 : (units & (units - 1)) == 0 ? units + units / 2 : units / 3 * 4;
  return next * q < full ? next * q : full;
}

uint32_t acc_gemm_plan(const acc_dev_t *dev, const acc_gemm_shape_t *shape, acc_gemm_plan_t *plan) {
  const uint32_t m = shape->m, k = shape->k, n = shape->n, order = shape->order;
  if (!m || !k || !n) return FW_ERR_BAD_JOB;
  if (order > ACC_GEMM_ORDER_JI) return FW_ERR_BAD_JOB;
  if (k > dev->max_k) return FW_ERR_UNSUPPORTED;
  const gemm_t g = {m, k, n, shape->b_rows ? shape->b_rows : k, shape->act_words ? shape->act_words : dev->act_words,
                    shape->wgt_words ? shape->wgt_words : dev->wgt_words, (shape->on_chip & ACC_GEMM_A_ON_CHIP) != 0,
                    (shape->on_chip & ACC_GEMM_C_ON_CHIP) != 0};
  const uint32_t q = dev->tile_x; /* tiles are multiples of the hardware tile */
  const uint32_t m_full = round_up(m, q), n_full = round_up(n, q);
  uint32_t m_size[64], n_size[64], m_sizes = 0, n_sizes = 0;
  for (uint32_t t = q;; t = next_size(t, q, m_full)) {
    m_size[m_sizes++] = t;
    if (t == m_full) break;
  }
  for (uint32_t t = q;; t = next_size(t, q, n_full)) {
    n_size[n_sizes++] = t;
    if (t == n_full) break;
  }
  int found = 0;
  acc_gemm_plan_t best = {0};
  for (uint32_t o = ACC_GEMM_ORDER_IJ; o <= ACC_GEMM_ORDER_JI; ++o) {
    if (order != ACC_GEMM_ORDER_AUTO && o != order) continue;
    if (g.a_on_chip && o != ACC_GEMM_ORDER_IJ) continue; /* A on chip: one panel, the B tiles pass */
    for (uint32_t keep = 0; keep <= 1; ++keep)
      /* Tile sizes, the largest first (they take the fewest steps to walk): the whole dimension
       * and the hardware tile times 1, 2, 3, 4, 6, 8, 12, ... (powers of two and 1.5 times
       * them); all of A when it is on chip. */
      for (uint32_t mi = m_sizes; mi-- > 0;) {
        const uint32_t mt = m_size[mi];
        if (g.a_on_chip && mt != m_full) continue;
        for (uint32_t ni = n_sizes; ni-- > 0;) {
          const uint32_t nt = n_size[ni];
          acc_gemm_plan_t p = {0};
          p.order = o, p.mt = mt, p.nt = nt, p.keep = keep, p.steps = (uint32_t)(ceil_div(m, mt) * ceil_div(n, nt));
          p.dram_words = plan_traffic(&g, &p);
          /* No need to walk a plan that cannot win: more traffic, or, with as much, a lower
           * bound on its estimate (its DRAM data and the per-step overhead) above the best cost. */
          const uint64_t bound = ceil_div(p.dram_words * 21u * 1024u, dev->dram_bits_per_kcycle ? dev->dram_bits_per_kcycle : 1) + 8u * p.steps;
          const int hopeless = found && (p.dram_words > best.dram_words || (p.dram_words == best.dram_words && bound >= plan_cost(&best)));
          if (hopeless || !plan_slots(&g, &p)) continue;
          p.min_words = (g.a_on_chip ? 0 : g.m * g.k) + g.b_rows * g.n + (g.c_on_chip ? 0 : g.m * g.n);
          p.est_cycles = plan_cycles(dev, &g, &p, found && p.dram_words == best.dram_words ? plan_cost(&best) : UINT64_MAX);
          /* Least DRAM traffic first (it is energy as well as time); then the shortest estimate,
           * with a quarter of the plan's buffer-port time added: the estimate does not see
           * how the PEs' operand reads delay the DMA on busy ports, and those reads cost
           * energy. */
          if (p.est_cycles != UINT64_MAX &&
              (!found || p.dram_words < best.dram_words || (p.dram_words == best.dram_words && plan_cost(&p) < plan_cost(&best)))) {
            best = p;
            found = 1;
          }
        }
      }
  }
  if (!found) return FW_ERR_NO_MEMORY;
  *plan = best;
  return FW_OK;
}

static void emit_loads(acc_dev_t *dev, const acc_gemm_t *g, const step_t *st) {
  if (st->load_b) acc_load(dev, ACC_BUF_WGT, st->b_slot, st->nc, g->b_pa + 4u * st->j0, 4u * g->n, g->k, st->nc);
  if (st->load_a) acc_load(dev, ACC_BUF_ACT, st->a_slot, g->k, g->a_pa + 4u * st->i0 * g->k, 4u * g->k, st->mr, g->k);
}

uint32_t acc_gemm(acc_dev_t *dev, const acc_gemm_t *g, acc_gemm_plan_t *plan) {
  const acc_gemm_shape_t shape = {g->m, g->k, g->n, g->order, 0, 0, 0, 0};
  const uint32_t status = acc_gemm_plan(dev, &shape, plan);
  if (status != FW_OK) return status;
  const acc_gemm_plan_t *p = plan;
  const gemm_t gg = {g->m, g->k, g->n, g->k, dev->act_words, dev->wgt_words, 0, 0};
  const uint32_t c_base = p->a_slots * p->mt * g->k; /* C slots follow the A slots */
  const acc_operand_t none = {0, 0, 0};

  /* Software-pipelined: L(0); then per step s: MATMUL(s), L(s+1), STORE(s). */
  step_t cur = plan_step(&gg, p, 0);
  emit_loads(dev, g, &cur);
  for (uint32_t s = 0; s < p->steps; ++s) {
    const uint32_t cs = c_base + cur.c_slot;
    const acc_operand_t a = {ACC_BUF_ACT, cur.a_slot, g->k}, b = {ACC_BUF_WGT, cur.b_slot, cur.nc}, c = {ACC_BUF_ACT, cs, cur.nc};
    acc_matmul(dev, g->flags, cur.mr, g->k, cur.nc, a, b, c, none);
    const step_t done = cur;
    if (s + 1 < p->steps) {
      cur = plan_step(&gg, p, s + 1);
      emit_loads(dev, g, &cur);
    }
    acc_store(dev, ACC_BUF_ACT, cs, done.nc, g->c_pa + 4u * (done.i0 * g->n + done.j0), 4u * g->n, done.mr, done.nc);
  }
  return acc_sync(dev) == ACC_ERR_NONE ? FW_OK : FW_ERR_ACCEL;
}
