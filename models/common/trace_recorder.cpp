#include "trace_recorder.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>

#include "acceltran_regs.h"
#include "regmap.hpp"

namespace acc {

namespace {

const char* const kUnitNames[] = {"MAC lanes", "softmax", "layer-norm", "score engine"};
enum Process : int { kControl = 1, kDma = 2, kPe = 3, kCounters = 4 };

// Process of a track: its name's prefix before '/'.
int process_id(const std::string& process) {
  if (process == "control") return kControl;
  if (process == "dma") return kDma;
  return kPe;
}

void tag_args(std::ostream& o, uint32_t tag) {
  const uint32_t cls = (tag >> ACC_TAG_CLASS_SHIFT) & ACC_TAG_CLASS_MAX;
  const uint32_t layer = (tag >> ACC_TAG_LAYER_SHIFT) & ACC_TAG_LAYER_MAX;
  const uint32_t head = (tag >> ACC_TAG_HEAD_SHIFT) & ACC_TAG_HEAD_MAX;
  const uint32_t seq = (tag >> ACC_TAG_SEQ_SHIFT) & ACC_TAG_SEQ_MAX;
  o << ",\"class\":\"" << regmap::tag_class_name(cls) << "\"";
  if (cls != ACC_TAG_NONE && layer != ACC_TAG_LAYER_MAX) o << ",\"layer\":" << layer;
  if (cls != ACC_TAG_NONE && head != ACC_TAG_HEAD_MAX) o << ",\"head\":" << head;
  if (cls != ACC_TAG_NONE && seq != ACC_TAG_SEQ_MAX) o << ",\"sequence\":" << seq;
}

}  // namespace

TraceRecorder::TraceRecorder(double clock_hz, unsigned pes, unsigned dma_channels)
    : us_per_cycle_(1e6 / clock_hz), pes_per_group_((pes + kPeGroups - 1) / kPeGroups) {
  fetch_track_ = track("control", "descriptor fetch");
  desc_track_ = track("control", "descriptors");
  for (unsigned c = 0; c < 2 * dma_channels; ++c)
    dma_tracks_.push_back(track("dma", std::string(c < dma_channels ? "load" : "store") + " channel " + std::to_string(c % dma_channels)));
  const unsigned groups = (pes + pes_per_group_ - 1) / pes_per_group_;
  for (unsigned u = 0; u < 4; ++u)
    for (unsigned g = 0; g < groups; ++g) {
      const unsigned first = g * pes_per_group_, last = std::min(pes, first + pes_per_group_) - 1;
      unit_tracks_[u].push_back(track("pe", std::string(kUnitNames[u]) + ", PE " + std::to_string(first) +
                                                (last > first ? "-" + std::to_string(last) : "")));
    }
}

uint32_t TraceRecorder::track(const std::string& process, const std::string& name) {
  tracks_.emplace_back(process, name);
  return static_cast<uint32_t>(tracks_.size() - 1);
}

void TraceRecorder::fetch(uint64_t start, uint64_t end, uint32_t first_index, uint32_t count) {
  slices_.push_back({fetch_track_, start, end, first_index, count, 0, uint64_t{count} * ACC_DESC_BYTES, 0});
}

void TraceRecorder::descriptor(uint32_t index, uint32_t opcode, uint32_t tag, uint64_t issue, uint64_t end, uint64_t bytes,
                               uint64_t macs) {
  slices_.push_back({desc_track_, issue, end, index, opcode, tag, bytes, macs});
}

void TraceRecorder::dma(unsigned channel, uint64_t start, uint64_t end, uint32_t index, uint32_t opcode, uint32_t tag, uint64_t bytes) {
  if (channel < dma_tracks_.size()) slices_.push_back({dma_tracks_[channel], start, end, index, opcode, tag, bytes, 0});
}

void TraceRecorder::unit(Unit kind, unsigned group, uint64_t start, uint64_t end, uint32_t index, uint32_t opcode, uint32_t tag) {
  const auto& tracks = unit_tracks_[static_cast<unsigned>(kind)];
  if (group < tracks.size()) slices_.push_back({tracks[group], start, end, index, opcode, tag, 0, 0});
}

void TraceRecorder::dram(double from, double to, uint64_t bits) { dram_.push_back({from, to, bits}); }

void TraceRecorder::buffer_use(uint32_t buf, uint64_t start, uint64_t end, uint64_t words) {
  if (buf < 2 && words) buffer_use_[buf].push_back({start, end, words});
}

void TraceRecorder::write(std::ostream& out) const {
  // Slices of one track may overlap (descriptors in flight, ops sharing a PE group): each goes to
  // the first row of its track that is free when it starts, and every row is a thread.
  std::vector<const Slice*> order;
  for (const Slice& s : slices_) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const Slice* a, const Slice* b) { return a->start < b->start; });
  std::vector<std::vector<uint64_t>> row_free(tracks_.size());
  std::map<std::pair<uint32_t, size_t>, int> tid;  // (track, row) -> thread id
  std::vector<std::pair<const Slice*, int>> placed;
  for (const Slice* s : order) {
    auto& rows = row_free[s->track];
    size_t r = 0;
    while (r < rows.size() && rows[r] > s->start) ++r;
    if (r == rows.size()) rows.push_back(0);
    rows[r] = std::max(s->end, s->start + 1);
    auto [it, fresh] = tid.try_emplace({s->track, r}, static_cast<int>(tid.size()) + 1);
    placed.emplace_back(s, it->second);
  }

  out.precision(12);
  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  auto sep = [&] {
    if (!first) out << ",\n";
    first = false;
  };
  auto ts = [&](uint64_t cycle) { return static_cast<double>(cycle) * us_per_cycle_; };
  for (int p : {kControl, kDma, kPe, kCounters}) {
    static const char* const names[] = {"", "control block", "DMA", "PE cluster", "counters"};
    sep();
    out << "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" << p << ",\"args\":{\"name\":\"" << names[p] << "\"}}";
    sep();
    out << "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" << p << ",\"args\":{\"sort_index\":" << p << "}}";
  }
  for (const auto& [key, id] : tid) {
    const auto& [process, name] = tracks_[key.first];
    sep();
    out << "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" << process_id(process) << ",\"tid\":" << id << ",\"args\":{\"name\":\""
        << name << (key.second ? " #" + std::to_string(key.second + 1) : std::string()) << "\"}}";
    sep();
    out << "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":" << process_id(process) << ",\"tid\":" << id
        << ",\"args\":{\"sort_index\":" << id << "}}";
  }
  for (const auto& [s, id] : placed) {
    const auto& process = tracks_[s->track].first;
    sep();
    const bool is_fetch = s->track == fetch_track_;
    out << "{\"ph\":\"X\",\"pid\":" << process_id(process) << ",\"tid\":" << id << ",\"ts\":" << ts(s->start)
        << ",\"dur\":" << ts(s->end) - ts(s->start) << ",\"name\":\"" << (is_fetch ? "FETCH" : regmap::opcode_name(s->opcode))
        << "\",\"args\":{";
    if (is_fetch) {
      out << "\"first\":" << s->index << ",\"descriptors\":" << s->opcode << ",\"bytes\":" << s->bytes;
    } else {
      out << "\"descriptor\":" << s->index << ",\"op\":\"" << regmap::opcode_name(s->opcode) << "\"";
      tag_args(out, s->tag);
      if (s->bytes) out << ",\"bytes\":" << s->bytes;
      if (s->macs) out << ",\"macs\":" << s->macs;
      out << ",\"cycles\":" << s->end - s->start;
    }
    out << "}}";
  }

  // DRAM bandwidth, averaged over at most ~2000 intervals of the run.
  double last = 0;
  for (const Flow& d : dram_) last = std::max(last, d.to);
  if (last > 0) {
    const double width = std::max(1.0, std::ceil(last / 2000.0));
    std::vector<double> bits(static_cast<size_t>(last / width) + 2, 0.0);
    for (const Flow& d : dram_) {
      const double len = d.to - d.from;
      if (len <= 0) continue;
      for (auto b = static_cast<size_t>(d.from / width); b * width < d.to; ++b) {
        const double lo = std::max(d.from, b * width), hi = std::min(d.to, (b + 1) * width);
        if (hi > lo) bits[b] += static_cast<double>(d.bits) * (hi - lo) / len;
      }
    }
    const double seconds_per_bin = width * us_per_cycle_ * 1e-6;
    for (size_t b = 0; b < bits.size(); ++b) {
      sep();
      out << "{\"ph\":\"C\",\"pid\":" << kCounters << ",\"name\":\"DRAM bandwidth\",\"ts\":" << b * width * us_per_cycle_
          << ",\"args\":{\"GB/s\":" << bits[b] / 8.0 / seconds_per_bin * 1e-9 << "}}";
    }
  }
  // Buffer words used by in-flight descriptors.
  static const char* const kBuffers[] = {"activation buffer words in use", "weight buffer words in use"};
  for (uint32_t buf = 0; buf < 2; ++buf) {
    std::map<uint64_t, int64_t> delta;
    for (const Span& u : buffer_use_[buf]) delta[u.start] += static_cast<int64_t>(u.amount), delta[u.end] -= static_cast<int64_t>(u.amount);
    int64_t level = 0;
    for (const auto& [cycle, d] : delta) {
      level += d;
      sep();
      out << "{\"ph\":\"C\",\"pid\":" << kCounters << ",\"name\":\"" << kBuffers[buf] << "\",\"ts\":" << ts(cycle)
          << ",\"args\":{\"words\":" << level << "}}";
    }
  }
  out << "\n]}\n";
}

}  // namespace acc
