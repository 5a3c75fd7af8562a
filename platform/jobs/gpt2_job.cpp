#include "gpt2_job.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "bert/inputs.hpp"
#include "fixed_point.hpp"
#include "host_memory.hpp"
#include "nm.hpp"

namespace acc {

namespace {
constexpr uint64_t kAutoCheckMacs = 2'000'000'000ull;  // as for BERT: beyond it, --check on
uint64_t u64(uint32_t lo, uint32_t hi) { return uint64_t{hi} << 32 | lo; }
}  // namespace

Gpt2Job::Gpt2Job(const Gpt2Spec& s) : spec_(s) {
  model_ = gpt2::zoo_model(spec_.model).truncated(spec_.layers);
  if (spec_.prompt_len == 0) throw bert::InputError("--prompt-len must be at least 1");
  if (spec_.batch == 0) throw bert::InputError("--batch must be at least 1");
  if (uint64_t{spec_.prompt_len} + spec_.new_tokens > model_.max_positions)
    throw bert::InputError("--prompt-len " + std::to_string(spec_.prompt_len) + " + --new-tokens " + std::to_string(spec_.new_tokens) +
                           " exceeds the model's " + std::to_string(model_.max_positions) + " positions");
}

gpt2::Options Gpt2Job::options() const {
  return preln_options(spec_, model_.ln_eps);
}

std::string Gpt2Job::describe() const {
  std::ostringstream s;
  s << model_.name << " (" << model_.layers.size() << " layers, hidden " << model_.hidden << "), batch " << spec_.batch << " x prompt "
    << spec_.prompt_len;
  if (spec_.generate) s << ", " << spec_.new_tokens << " decode steps (greedy)";
  s << (spec_.dynatran ? ", DynaTran tau " + std::to_string(spec_.tau).substr(0, 6) : ", DynaTran off");
  if (spec_.topk) s << ", top-" << spec_.topk << (spec_.topk_exact ? " (exact)" : " (strict)");
  if (spec_.nm_weights) s << ", N:M weights " << spec_.nm_n << ":" << spec_.nm_m;
  if (spec_.nm_act) s << ", N:M activations " << spec_.nm_n << ":" << spec_.nm_m;
  return s.str();
}

uint64_t Gpt2Job::total_macs() const {
  uint64_t per_seq = gpt2::step_macs(model_, spec_.prompt_len, 0);
  for (uint32_t t = 1; t <= spec_.new_tokens; ++t) per_seq += gpt2::step_macs(model_, 1, spec_.prompt_len + t - 1);
  return per_seq * spec_.batch;
}

bool Gpt2Job::checks_outputs() const {
  return spec_.check == Gpt2Spec::Check::On || (spec_.check == Gpt2Spec::Check::Auto && total_macs() <= kAutoCheckMacs);
}

uint64_t Gpt2Job::kv_cache_bytes() const {
  uint64_t words = 0;
  for (const auto& l : model_.layers) words += 2ull * (uint64_t{spec_.prompt_len} + spec_.new_tokens) * l.attention();
  return 4 * words;
}

uint64_t Gpt2Job::host_memory_bytes() {
  const double H = model_.hidden, V = model_.vocab, P = spec_.prompt_len, T = spec_.new_tokens, B = spec_.batch;
  double params = (V + model_.max_positions + 2) * H, widest = H;
  for (const auto& l : model_.layers) params += 4 * H * l.attention() + 2 * H * l.ffn.at(0) + 9 * H, widest = std::max(widest, double(l.ffn.at(0)));
  double bytes = 4 * params * (spec_.nm_weights ? 3 : 2);   // on the host and in DRAM (N:M: values and indices)
  if (!spec_.weights_file.empty()) bytes += 16 * V * H;     // the largest tensor being read, as doubles
  bytes += kv_cache_bytes() + 4 * B * (P * H + (T + 1) * V + P) + 4 * B * (T + 1) * 64;
  if (checks_outputs()) {
    const double N = P + T, heads = double(model_.layers.at(0).heads);
    bytes += 4 * B * (P * H + (T + 1) * V);                   // the outputs read back
    bytes += 4 * params + 8 * V * H;                          // N:M-pruned reference weights; the float model's wte
    bytes += 2 * 8 * (N * (6 * H + widest) + heads * N * N) + kv_cache_bytes() + 8 * (T + 1) * V;
  }
  return saturated_bytes(bytes + DramLayout::kFixedBytes);
}

void Gpt2Job::load(Soc& soc) {
  const uint32_t P = spec_.prompt_len, T = spec_.new_tokens, B = spec_.batch, H = model_.hidden, V = model_.vocab;
  // Synthetic prompts: ids uniform over the vocabulary.
  Rng rng(spec_.seed ^ 0x6770743270726F6Dull);
  prompts_.resize(uint64_t{B} * P);
  for (auto& id : prompts_) id = static_cast<uint32_t>(rng.next() % V);

  DramLayout layout(soc);
  fw_gpt2_args_t a{};
  a.layers = static_cast<uint32_t>(model_.layers.size());
  a.hidden = H, a.batch = B, a.prompt_len = P, a.new_tokens = T;
  const gpt2::Options o = options();
  auto flag = [](bool on, fw_gpt2_flags f) { return on ? static_cast<uint32_t>(f) : 0u; };
  a.flags = flag(spec_.dynatran, FW_GPT2_DYNATRAN) | flag(spec_.topk_exact, FW_GPT2_TOPK_EXACT) | flag(spec_.nm_weights, FW_GPT2_NM_WEIGHTS) |
            flag(spec_.nm_act, FW_GPT2_NM_ACT);
  a.tau = static_cast<uint32_t>(o.tau), a.topk = spec_.topk, a.ln_eps = o.ln_eps;
  a.nm_cfg = spec_.nm_n | spec_.nm_m << ACC_NM_CFG_M_SHIFT;
  a.vocab = V, a.max_pos = model_.max_positions;
  place_weights(
      spec_, checks_outputs(), weights_,
      [&] { return spec_.weights_file.empty() ? gpt2::synthetic_weights(model_, spec_.seed) : gpt2::load_safetensors(model_, spec_.weights_file); },
      [&] { return gpt2::synthetic_recipe(model_); },
      [&](const auto& W) {
        auto put = [&](const auto& t, const std::string& what) { return put_tensor(soc, layout, t, spec_.seed, what); };
        a.wte = put(W.wte, "wte (the word embeddings and the LM head)");
        a.wpe = put(W.wpe, "wpe (the position embeddings)");
        a.lnf_g = put(W.lnf_g, "ln_f"), a.lnf_b = put(W.lnf_b, "ln_f");
        a.layer_table = put_preln_layers(soc, layout, H, model_.layers, W.layers, spec_, spec_.seed);
      });
  a.kv_rows = P + T;
  a.kv_cache = layout.alloc(kv_cache_bytes(), "the KV cache");
  a.tokens = layout.alloc(prompts_.size() * 4, "the prompts");
  std::memcpy(soc.dram_ptr(a.tokens, prompts_.size() * 4), prompts_.data(), prompts_.size() * 4);
  a.out_hidden = out_hidden_ = layout.alloc(uint64_t{B} * P * H * 4, "the output hidden states");
  a.out_logits = out_logits_ = layout.alloc(uint64_t{B} * (T + 1) * V * 4, "the logits of every step");
  a.steps = steps_ = layout.alloc(uint64_t{B} * (T + 1) * sizeof(fw_gpt2_step_t), "the step records");

  start_job(soc, layout, FW_JOB_GPT2)->args.gpt2 = a;
}

JobResult Gpt2Job::check(Soc& soc, Stats& stats) {
  const fw_job_t* job = soc.dram_as<fw_job_t>(FW_JOB_PA);
  const uint32_t P = spec_.prompt_len, T = spec_.new_tokens, B = spec_.batch, H = model_.hidden, V = model_.vocab;
  put_firmware_stats(*job, stats);
  stats.put("job.gpt2.layers", model_.layers.size(), "layers", "Decoder layers run");
  stats.put("job.gpt2.sequences", B, "sequences", "Sequences (prompts) of the batch, run one after the other");
  stats.put("job.gpt2.prompt_len", P, "tokens", "Prompt tokens per sequence (the prefill)");
  stats.put("job.gpt2.decode_steps", T, "steps", "Decode steps per sequence after the prefill (--new-tokens)");
  stats.put("job.gpt2.chunk", job->args.gpt2.chunk, "tokens", "Prompt rows per prefill chunk (what fits the activation buffer)");
  stats.put("job.gpt2.kv_cache_bytes", kv_cache_bytes(), "bytes",
            "DRAM the KV cache of one sequence takes: layers x 2 x (prompt + decode steps) x attention width x 4-byte words");
  stats.put("job.gpt2.dense_macs", total_macs(), "MACs", "Dense MACs of the job by the model's shape (layers, scores over every cached position, LM head)");
  put_load_saturation(stats, weights_.saturated);
  JobResult r;
  if (job->status != FW_OK) {
    r.message = firmware_failure(*job, soc);
    return r;
  }
  const double hz = soc.cfg().clock_hz();
  const auto* steps = soc.dram_as<fw_gpt2_step_t>(steps_);
  // Per step (of the first sequence; the others repeat it with their own prompt).
  for (uint32_t t = 0; t <= T; ++t) {
    const fw_gpt2_step_t& st = steps[t];
    const fw_gpt2_step_t* prev = t ? &steps[t - 1] : nullptr;
    const uint64_t cycles = u64(st.cycles_lo, st.cycles_hi) - (prev ? u64(prev->cycles_lo, prev->cycles_hi) : 0);
    const std::string k = "job.gpt2.steps." + std::to_string(t) + ".";
    stats.put(k + "token", st.token, "id", "The token the step chose (greedy)");
    stats.put(k + "position", st.position, "position", "First position the step ran");
    stats.put(k + "cycles", cycles, "cycles", "Accelerator active cycles of step N of the first sequence (step 0: the prefill)");
    stats.put_real(k + "latency_s", cycles / hz, "s", "The same in seconds");
    stats.put(k + "macs", u64(st.macs_lo, st.macs_hi) - (prev ? u64(prev->macs_lo, prev->macs_hi) : 0), "MACs", "Dense MACs of the step");
    stats.put(k + "dram_read_bytes", u64(st.dram_rd_lo, st.dram_rd_hi) - (prev ? u64(prev->dram_rd_lo, prev->dram_rd_hi) : 0), "bytes",
              "DRAM bytes the step read (weights, KV cache, embedding rows)");
    stats.put(k + "dram_write_bytes", u64(st.dram_wr_lo, st.dram_wr_hi) - (prev ? u64(prev->dram_wr_lo, prev->dram_wr_hi) : 0), "bytes",
              "DRAM bytes the step wrote (KV cache rows, logits, hidden states)");
  }
  const double ttft = double(u64(steps[0].cycles_lo, steps[0].cycles_hi)) / hz;
  const double decode = T ? double(u64(steps[T].cycles_lo, steps[T].cycles_hi) - u64(steps[0].cycles_lo, steps[0].cycles_hi)) / hz : 0.0;
  stats.put_real("job.gpt2.time_to_first_token_s", ttft, "s", "The prefill of the first sequence, to its first token's logits (accelerator time)");
  if (T) {
    stats.put_real("job.gpt2.per_token_latency_s", decode / T, "s", "Mean decode step of the first sequence (accelerator time)");
    stats.put_real("job.gpt2.tokens_per_s", decode > 0 ? T / decode : 0.0, "tokens/s", "Decode steps per second of accelerator time");
  }
  stats.put("job.gpt2.tokens_chosen", uint64_t{B} * (T + 1), "tokens", "Tokens chosen: one by each prefill and each decode step");

  // The outputs, the tokens, and the reference decoder on the accelerator's own tokens.
  const bert::Tensor hidden = read_words(soc, out_hidden_, uint64_t{B} * P * H);
  const bert::Tensor logits = read_words(soc, out_logits_, uint64_t{B} * (T + 1) * V);
  std::vector<uint32_t> tokens(uint64_t{B} * (T + 1));
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = steps[i].token;
  std::ostringstream chosen;
  for (uint32_t t = 0; t <= std::min(T, 7u); ++t) chosen << (t ? " " : "") << tokens[t];
  if (T > 7) chosen << " ...";
  stats.put("job.checked", checks_outputs() ? 1 : 0, "bool", "1 if the outputs were compared with the reference decoder");
  if (!checks_outputs()) {
    r.ok = true;
    r.message = "not checked (--check auto above 2 G MACs; --check on checks); tokens " + chosen.str();
    return r;
  }
  ReferenceComparison cmp;
  const gpt2::Options o = options();
  for (uint32_t s = 0; s < B; ++s) {
    gpt2::ReferenceDecoder dec(model_, weights_, o);
    const std::vector<uint32_t> prompt(prompts_.begin() + uint64_t{s} * P, prompts_.begin() + uint64_t{s + 1} * P);
    gpt2::ReferenceDecoder::Step st = dec.run(prompt);
    cmp.compare(hidden, st.hidden, uint64_t{s} * P * H, "sequence " + std::to_string(s) + " hidden state");
    for (uint32_t t = 0; t <= T; ++t) {
      if (t) st = dec.run({tokens[uint64_t{s} * (T + 1) + t - 1]});
      const std::string what = "sequence " + std::to_string(s) + " step " + std::to_string(t);
      cmp.compare(logits, st.logits, (uint64_t{s} * (T + 1) + t) * V, what + " logit");
      if (gpt2::greedy(st.logits) != tokens[uint64_t{s} * (T + 1) + t] && cmp.mismatches++ == 0) cmp.first = what + ": the token differs";
    }
  }
  stats.put("job.mismatches", cmp.mismatches, "values", "Outputs (hidden states, logits, tokens) differing from the reference decoder");
  // Double precision, teacher-forced on the first sequence's tokens (prompt + the tokens decoded).
  std::vector<uint32_t> ids(prompts_.begin(), prompts_.begin() + P);
  ids.insert(ids.end(), tokens.begin(), tokens.begin() + T);
  const gpt2::FloatRun f = gpt2::float_decoder(model_, weights_, o, model_.ln_eps, ids, P - 1);
  double hidden_max = 0, hidden_sum = 0, logit_max = 0;
  for (uint64_t i = 0; i < uint64_t{P} * H; ++i) {
    const double e = std::fabs(fx::to_double(hidden[i]) - f.hidden[i]);
    hidden_max = std::max(hidden_max, e), hidden_sum += e;
  }
  uint32_t agree = 0;
  for (uint32_t t = 0; t <= T; ++t) {
    const auto& fl = f.logits[t];
    for (uint32_t j = 0; j < V; ++j) logit_max = std::max(logit_max, std::fabs(fx::to_double(logits[uint64_t{t} * V + j]) - fl[j]));
    agree += static_cast<uint32_t>(std::max_element(fl.begin(), fl.end()) - fl.begin()) == tokens[t];
  }
  stats.put_real("job.float.hidden_max_abs_error", hidden_max, "value", "Largest |accelerator - double-precision GPT-2| of the prompt's final hidden states (first sequence)");
  stats.put_real("job.float.hidden_mean_abs_error", hidden_sum / (double(P) * H), "value", "Mean of the same");
  stats.put_real("job.float.logits_max_abs_error", logit_max, "value", "Largest |accelerator - double precision| of every step's logits (teacher-forced on the accelerator's tokens)");
  stats.put("job.float.greedy_agreement", agree, "tokens", "Steps whose double-precision argmax is the accelerator's token (of decode steps + 1)");
  std::ostringstream m;
  if (cmp.mismatches == 0) {
    r.ok = true;
    m << "bit-exact against the reference decoder (" << cmp.compared << " values, " << B * (T + 1) << " tokens: " << chosen.str()
      << "); vs double precision: hidden max " << hidden_max << ", logits max " << logit_max << ", greedy agrees on " << agree << " of " << T + 1;
  } else {
    m << cmp.mismatches << " values differ from the reference decoder; first " << cmp.first;
  }
  r.message = m.str();
  return r;
}

}  // namespace acc
