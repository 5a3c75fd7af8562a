#include "dma.hpp"

#include <algorithm>
#include <cstring>

#include "energy.hpp"
#include "fixed_point.hpp"
#include "nm.hpp"
#include "pruning_config.hpp"
#include "trace_recorder.hpp"

namespace acc {

Dma::Dma(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock)
    : sc_module(name), cmd("cmd"), bus("bus"), cfg_(cfg), clock_(clock), channels_(2 * cfg.dma_channels) {
  for (size_t i = 0; i < channels_.size(); ++i) channels_[i].stores = i >= cfg.dma_channels;
  for (auto& pool : slots_) pool.assign(cfg.dma_outstanding, 0);
  cmd.register_b_transport(this, &Dma::b_transport);
  cmd.register_transport_dbg(this, &Dma::transport_dbg);
}

unsigned int Dma::transport_dbg(tlm::tlm_generic_payload& t) { return no_debug(t); }

void Dma::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  if (!check_dispatch(t, sizeof(acc_desc_t))) return;
  DispatchExt local;
  DispatchExt* ext = nullptr;
  t.get_extension(ext);
  if (!ext) ext = &local;
  Command c;
  std::memcpy(&c.desc, t.get_data_ptr(), sizeof c.desc);
  const uint32_t op = c.desc.w[0] & ACC_DESC_OPCODE_MASK;
  if (op != ACC_OP_LOAD && op != ACC_OP_STORE) {
    ext->error = ACC_ERR_BAD_OPCODE, ext->info = c.desc.w[0];
    t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  c.id = ext->id;
  c.order = submitted_++;
  c.index = ext->index;
  c.submitted = clock_.to_cycles(sc_core::sc_time_stamp() + delay);
  // N:M compressed weights keep their index bits (23:20) and are charged a word + log2(M) bits each.
  c.nm_bits = (c.desc.w[0] & ACC_LOAD_NM_META) && ext->pruning ? nm::index_bits(ext->pruning->nm_m) : 0;
  queue_[op == ACC_OP_STORE].push_back(std::move(c));
  next_.valid = false;
  ext->deferred = true;
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

uint64_t Dma::burst_ready(const Channel& c) const {
  return c.cmd.row == 0 && c.cmd.offset == 0 ? c.cmd.start : std::max(c.cmd.start, c.last_burst + 1);
}

uint64_t Dma::channel_step(const Channel& c, bool& takes_command) const {
  takes_command = false;
  // One burst a cycle, once one of the engine's request slots is free.
  if (c.active) return std::max(burst_ready(c), slots_[c.stores][first_free_[c.stores]]);
  const auto& queue = queue_[c.stores];
  if (queue.empty()) return UINT64_MAX;
  takes_command = true;
  uint64_t at = std::max({c.free_at, queue.front().submitted, last_start_});
  if (at == last_start_ && started_in_last_ >= cfg_.memory_dispatch_batch) ++at;  // commands started per cycle
  return at;
}

const Dma::NextStep& Dma::next() const {
  if (next_.valid) return next_;
  NextStep n;
  for (const Channel& c : channels_) {
    bool t = false;
    const uint64_t s = channel_step(c, t);
    // The earliest step; at the same cycle, the oldest command's burst (it gets the free slot).
    const Channel* best = n.channel < channels_.size() ? &channels_[n.channel] : nullptr;
    if (s < n.at || (s == n.at && s != UINT64_MAX && c.active && (!best->active || c.cmd.order < best->cmd.order)))
      n.at = s, n.channel = static_cast<size_t>(&c - channels_.data()), n.takes_command = t;
  }
  n.valid = true;
  next_ = n;
  return next_;
}

uint64_t Dma::next_step() const { return next().at; }

void Dma::step(std::vector<Completion>& completed) {
  const NextStep n = next();
  next_.valid = false;  // whatever happens below changes the next step
  if (n.channel >= channels_.size()) return;
  Channel* chan = &channels_[n.channel];
  const uint64_t at = n.at;
  if (n.takes_command) {
    auto& queue = queue_[chan->stores];
    chan->cmd = std::move(queue.front());
    queue.pop_front();
    chan->cmd.start = chan->cmd.done = at;
    chan->active = true;
    started_in_last_ = at == last_start_ ? started_in_last_ + 1 : 1;
    last_start_ = at;
    queue_wait_ += at - chan->cmd.submitted;
    return;
  }
  uint32_t error = ACC_ERR_NONE, info = 0;
  const bool ok = issue_burst(*chan, at, error, info);
  const auto& x = chan->cmd.desc.load;
  if (!ok || chan->cmd.row >= x.rows) finish(*chan, at, error, info, completed);
}

bool Dma::burst(bool write, uint64_t addr, int32_t* data, uint64_t words, uint64_t earliest, TransferExt& info, Burst& out) {
  tlm::tlm_generic_payload& t = payload_;  // reused: constructing a payload allocates its extension array
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(addr);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(data));
  t.set_data_length(static_cast<unsigned>(words * 4));
  t.set_streaming_width(static_cast<unsigned>(words * 4));
  t.set_byte_enable_ptr(nullptr);
  t.set_dmi_allowed(false);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  t.set_extension(&info);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time delay = clock_.to_time(earliest) - now;
  bus->b_transport(t, delay);
  t.clear_extension(&info);
  if (!t.is_response_ok()) return false;
  out.done = clock_.to_cycles(now + delay);
  out.data_start = info.data_start;
  ++bursts_;
  return true;
}

bool Dma::issue_burst(Channel& chan, uint64_t at, uint32_t& error, uint32_t& info) {
  Command& c = chan.cmd;
  const auto& x = c.desc.load;  // LOAD and STORE share the layout
  const bool store = (c.desc.w[0] & ACC_DESC_OPCODE_MASK) == ACC_OP_STORE;
  const bool broadcast = !store && x.dram_stride == 0 && x.rows > 1;  // one DRAM row, read once, written to every row
  const bool contiguous = x.rows == 1 || (x.dram_stride == 4ull * x.cols && x.buf_stride == x.cols);
  const uint64_t rows_per_run = contiguous ? x.rows : 1;
  const uint64_t run = rows_per_run * x.cols;  // words of one contiguous run, cut into bursts
  const uint64_t words = std::min<uint64_t>(cfg_.dma_max_burst_words, run - c.offset);
  const uint32_t tag = c.desc.w[ACC_DESC_WORDS - 1];
  auto& pool = slots_[chan.stores];
  uint64_t* const slot = &pool[first_free_[chan.stores]];
  slot_wait_ += at - burst_ready(chan);
  chan.last_burst = at;

  const uint64_t buf_base = (x.buf == ACC_BUF_ACT ? ACC_MAP_ACT_BUF_BASE : ACC_MAP_WGT_BUF_BASE) + 4ull * x.buf_addr;
  const uint64_t dram = x.dram_addr + c.row * x.dram_stride + 4 * c.offset;
  const uint64_t buf = buf_base + 4ull * (c.row * x.buf_stride + c.offset);
  const uint64_t src_addr = store ? buf : dram, dst_addr = store ? dram : buf;
  if (broadcast && c.row_data.empty()) c.row_data.resize(x.cols);
  if (staging_.size() < words) staging_.resize(words);
  int32_t* data = broadcast ? c.row_data.data() + c.offset : staging_.data();
  TransferExt src_info, dst_info;
  src_info.tag = dst_info.tag = tag;
  src_info.nm_index_bits = dst_info.nm_index_bits = c.nm_bits;
  Burst src;
  if (!broadcast || c.row == 0) {
    if (!burst(false, src_addr, data, words, at, src_info, src)) {
      error = ACC_ERR_BUS, info = static_cast<uint32_t>(src_addr);
      return false;
    }
    if (!store && !c.nm_bits) {  // a 32-bit DRAM container carries one word of the format
      const fx::Format f = fx::format();
      for (uint64_t i = 0; i < words; ++i) data[i] = f.wrap(data[i]);
    }
    if (!store) c.read_bits += src_info.modelled_bits;
    nonzero_ += src_info.nonzero;
    if (broadcast) c.row_bursts.push_back(src);
  } else {
    src = c.row_bursts[c.offset / cfg_.dma_max_burst_words];
  }
  // Cut-through: the destination is written as the source data arrive.
  dst_info.stream_end = src.done;
  // Words just read keep their non-zeros (wrapping keeps a word's bits): the destination need not
  // count them again. A broadcast's later rows reuse the first row's data, uncounted here.
  if (!broadcast || c.row == 0) dst_info.known_nonzero = src_info.counted_nonzero;
  Burst dst;
  if (!burst(true, dst_addr, data, words, std::max(at, src.data_start), dst_info, dst)) {
    error = ACC_ERR_BUS, info = static_cast<uint32_t>(dst_addr);
    return false;
  }
  if (store) c.write_bits += dst_info.modelled_bits;
  *slot = std::max(src.done, dst.done);
  first_free_[chan.stores] = static_cast<size_t>(std::min_element(pool.begin(), pool.end()) - pool.begin());
  c.done = std::max(c.done, dst.done);
  c.offset += words;
  if (c.offset >= run) c.offset = 0, c.row += rows_per_run;
  return true;
}

void Dma::finish(Channel& chan, uint64_t at, uint32_t error, uint32_t info, std::vector<Completion>& completed) {
  Command& c = chan.cmd;
  const auto& x = c.desc.load;
  const uint32_t op = c.desc.w[0] & ACC_DESC_OPCODE_MASK, tag = c.desc.w[ACC_DESC_WORDS - 1];
  if (error == ACC_ERR_NONE) {
    (op == ACC_OP_STORE ? stores_ : loads_)++;
    words_ += uint64_t{x.rows} * x.cols;
  }
  busy_ += c.done - c.start;
  busy_by_tag_[tag] += c.done - c.start;
  if (trace_) trace_->dma(static_cast<unsigned>(&chan - channels_.data()), c.start, c.done, c.index, op, tag, (c.read_bits + c.write_bits + 7) / 8);
  completed.push_back({c.id, c.start, error == ACC_ERR_NONE ? c.done : at, c.read_bits, c.write_bits, error, info});
  chan.active = false;
  chan.free_at = at + 1;  // the next command's bursts follow this one's
  chan.cmd = Command{};
}

void Dma::attribute(const StatsContext& ctx, Attribution& a) const {
  if (ctx.cfg.compat.idle_submodules) return;  // AccelTran's simulator never charges its DMA units
  const double per_cycle = EnergyTable::dynamic_nj(ctx.energy.module("dma"), 1, ctx.cfg);
  for (const auto& [key, busy] : busy_by_tag_) a.add(key, static_cast<double>(busy) * per_cycle);
}

void Dma::collect_stats(Stats& s, const StatsContext& ctx) const {
  s.put("dma.loads", loads_, "commands", "LOAD descriptors executed");
  s.put("dma.stores", stores_, "commands", "STORE descriptors executed");
  s.put("dma.bursts", bursts_, "transactions", "Bus transactions issued (one read and one write per burst)");
  s.put("dma.words", words_, "words", "Tensor words moved");
  s.put("dma.nonzero_words", nonzero_, "words", "Non-zero words among them");
  s.put("dma.busy_cycles", busy_, "cycles", "Sum over commands of start-to-completion cycles");
  s.put("dma.queue_wait_cycles", queue_wait_, "cycles", "Sum over commands of cycles waited in the queue for a free channel");
  s.put("dma.request_wait_cycles", slot_wait_, "cycles",
        "Sum over bursts of cycles waited for a request slot of the read or write engine (vp.dma_outstanding)");
  const auto& f = ctx.energy.module("dma");
  const double counted = ctx.cfg.compat.idle_submodules ? 0.0 : 1.0, busy = static_cast<double>(busy_);
  s.put_real("energy.dma.dynamic_nj", counted * EnergyTable::dynamic_nj(f, busy, ctx.cfg), "nJ", "DMA energy over its busy cycles");
  s.put_real("energy.dma.leakage_nj",
             counted * (ctx.cfg.compat.busy_leakage ? EnergyTable::leakage_nj(f.leakage_mw, busy, ctx.cfg)
                                                     : EnergyTable::leakage_nj(f.leakage_mw * ctx.cfg.pe, ctx.active_cycles, ctx.cfg)),
             "nJ", "Leakage of the DMA units (one per PE) over the active time");
}

}  // namespace acc
