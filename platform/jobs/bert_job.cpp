#include "bert_job.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "fixed_point.hpp"
#include "host_memory.hpp"
#include "nm.hpp"

namespace acc {

using namespace acc::bert;

namespace {
// Reference checks cost O(MACs) of plain loops; beyond this they are opt-in (--check on).
constexpr uint64_t kAutoCheckMacs = 2'000'000'000ull;
}  // namespace

bert::RunOptions BertJob::run_options() const {
  bert::RunOptions o;
  o.dynatran = spec_.dynatran;
  o.tau = spec_.dynatran ? fx::from_double(spec_.tau) : 0;
  if (fx::format().per_tensor()) {  // DYNATRAN_TAU in units of 2^-16; every tensor's scale from the table
    o.tau = spec_.dynatran ? static_cast<int32_t>(std::llround(std::ldexp(spec_.tau, 16))) : 0;
    o.scales = &scales_;
  }
  o.topk = spec_.topk;
  o.topk_exact = spec_.topk_exact;
  o.pooler = spec_.pooler;
  o.ln_eps = static_cast<uint32_t>(std::llround(std::ldexp(model_.ln_eps, 2 * fx::frac_bits())));  // units of 2^-2n (a variance)
  o.pruning = spec_.pruning;
  return o;
}

std::string BertJob::describe() const {
  std::ostringstream s;
  std::string hidden = std::to_string(model_.hidden);  // per layer when a model dict's layers differ
  for (size_t l = 1; l < model_.layers.size(); ++l)
    if (model_.layer_hidden(l) != model_.hidden) {
      hidden.clear();
      for (size_t i = 0; i < model_.layers.size(); ++i) hidden += (i ? "/" : "") + std::to_string(model_.layer_hidden(i));
      break;
    }
  s << model_.name << " (" << model_.layers.size() << " layers, hidden " << hidden << "), batch " << inputs_.batch << " x seq "
    << inputs_.seq;
  if (spec_.dynatran)
    s << ", DynaTran tau " << spec_.tau;
  else
    s << ", DynaTran off";
  if (spec_.topk) s << ", top-" << spec_.topk << (spec_.topk_exact ? " (exact)" : " (strict)");
  if (spec_.pruning.any()) s << ", " << spec_.pruning.describe();
  return s.str();
}

void BertJob::prepare() {
  if (prepared_) return;
  model_ = load_model(spec_.model).truncated(spec_.layers);
  if (!spec_.weights_file.empty()) take_embedding_sizes(model_, spec_.weights_file);  // the vocabulary is the weights'
  if (spec_.seq == 0 || spec_.batch == 0) throw InputError("--seq and --batch must be at least 1");
  if (!spec_.tokens_file.empty() && !spec_.embeddings_file.empty()) throw InputError("give --tokens or --embeddings, not both");
  // Checked before any input exists: token inputs have one position embedding per token.
  if (spec_.embeddings_file.empty() && spec_.seq > model_.max_positions)
    throw InputError("--seq " + std::to_string(spec_.seq) + " exceeds the model's " + std::to_string(model_.max_positions) + " positions");
  if (spec_.mlm) {
    if (spec_.weights_file.empty()) throw InputError("--task mlm needs --weights: a trained model with its MLM head (docs/accuracy.md)");
    if (!spec_.tokens_file.empty() || !spec_.embeddings_file.empty()) throw InputError("--task mlm takes its tokens from --text, not --tokens or --embeddings");
    masked_ = mask_text_for_model(model_, spec_.weights_file, spec_.vocab_file, spec_.text_file, spec_.seq, spec_.mlm_max_sequences,
                                  spec_.mask_rate, spec_.seed);
    token_file_ = masked_.tokens;
    batch_ = static_cast<uint32_t>(token_file_.lengths.size());
  } else if (!spec_.tokens_file.empty()) {
    token_file_ = read_token_file(model_, spec_.tokens_file, spec_.seq);
    batch_ = static_cast<uint32_t>(token_file_.lengths.size());
  } else if (!spec_.embeddings_file.empty()) {
    batch_ = read_npy_header(model_, spec_.embeddings_file, spec_.seq).batch;
  } else {
    batch_ = spec_.batch;
  }
  prepared_ = true;
}

bool BertJob::checks_outputs() const {
  return spec_.check == BertSpec::Check::On ||
         (spec_.check == BertSpec::Check::Auto && double(model_.encoder_macs(spec_.seq)) * batch_ <= double(kAutoCheckMacs));
}

uint64_t BertJob::host_memory_bytes() {
  prepare();
  const Model& m = model_;
  double widest_hidden = 0;
  for (size_t l = 0; l < m.layers.size(); ++l) widest_hidden = std::max(widest_hidden, double(m.layer_hidden(l)));
  const double S = spec_.seq, B = batch_, R = S * B, H = std::max(double(m.hidden), widest_hidden);
  // Every weight tensor's elements; the largest tensor, the largest layer matrix and the widest
  // activation row.
  double weights = (double(m.vocab) + m.max_positions + m.type_vocab + H + 3) * H;  // embeddings, their layer norm, the pooler
  double matrix = H * H, widest = H, heads = 0, attention = 0;
  for (const auto& l : m.layers) {
    const double A = l.attention();
    weights += 4 * (H * A + A) + 5 * H;  // Q, K, V and the output projection; their biases; two layer norms
    double in = H;
    for (size_t i = 0; i <= l.ffn.size(); ++i) {
      const double out = i < l.ffn.size() ? double(l.ffn[i]) : H;
      weights += in * out + out;
      matrix = std::max(matrix, in * out), widest = std::max(widest, out);
      in = out;
    }
    matrix = std::max(matrix, H * A), attention = std::max(attention, A), heads = std::max(heads, double(l.heads));
    weights += H * H + H;  // a projection to the next layer's hidden size, at most
    for (const Head& h : l.head_list()) {  // model dicts' heads: their matrices, and a transform's copy on the host
      const double d = h.dim;
      weights += h.kind == HeadKind::Wma ? d * d : h.kind == HeadKind::Conv ? (h.kernel + 1) * d * d : h.kind == HeadKind::Sdp ? 0 : 3 * S * S;
    }
  }
  const double largest = std::max(matrix, double(m.vocab) * H);
  const bool tokens = spec_.embeddings_file.empty();
  double bytes = 4 * weights;                                  // the weights on the host
  if (!spec_.weights_file.empty()) bytes += 24 * largest;      // a tensor being read: its bytes, as doubles, transposed
  bytes += 4 * weights * (spec_.pruning.nm_weights ? 2 : 1);   // the weights in DRAM (N:M: values and indices)
  if (fx::format().per_tensor()) bytes += 2 * 4 * weights;      // their real values (floats) and the Q4.16 words they were read in
  bytes += tokens ? 2 * 4 * R : 2 * 4 * R * H;                  // the inputs on the host and in DRAM
  bytes += 4 * (double(token_file_.ids.size()) + double(token_file_.lengths.size()));
  if (spec_.mlm) bytes += 8 * (2 * double(m.vocab) * H + H * H) + 12 * double(masked_.positions.size());  // the MLM head, in double
  bytes += 4 * (R * H + B * H);                                 // the outputs in DRAM
  if (checks_outputs()) {
    // The outputs read back; the reference model's activations (4 bytes) and the double-precision
    // model's (8 bytes), with room for a layer's temporaries and the scores of every head.
    const double activations = R * (4 * H + 5 * attention + 2 * widest) + 3 * heads * S * S + 2 * matrix;
    bytes += 4 * (R * H + B * H) + 2 * 4 * activations + 2 * 8 * activations;
  }
  return saturated_bytes(bytes + DramLayout::kFixedBytes);
}

void BertJob::load_per_tensor_weights() {
  const PruningOptions& P = spec_.pruning;
  const std::string format = fx::format().name();
  if (!inputs_.from_tokens) throw InputError("number_format=" + format + " takes token inputs (--tokens, --text or synthetic), not --embeddings");
  if (P.score_engine()) throw PruningError("number_format=" + format + " runs DynaTran, top-k and N:M; LeOPArd and HDP need a qM.N format");
  for (size_t l = 0; l < model_.layers.size(); ++l)
    if (!model_.layers[l].uniform_sdp() || model_.projects(l))
      throw InputError("number_format=" + format + " runs BERT layers of sa_sdp heads of one size; layer " + std::to_string(l) +
                       " of this model dict has other heads or changes the hidden size (use a qM.N format)");
  // The weights' real values: a file's, or synthetic weights drawn in Q4.16 (their definition).
  const fx::Format active = fx::format();
  fx::set_format(fx::kQ4_16);
  try {
    weights_ = spec_.weights_file.empty() ? synthetic_weights(model_, spec_.seed, true) : load_safetensors(model_, spec_.weights_file, true);
    if (!weights_.file_values) weights_.file_values = values_of_words(model_, weights_, inputs_.tokens);
  } catch (...) {
    fx::set_format(active);
    throw;
  }
  fx::set_format(active);
  // Static calibration on the job's own inputs, then every tensor at its scale.
  scales_ = calibrate_scales(model_, weights_, inputs_, run_options());
  weights_ = quantize_weights(model_, weights_, scales_);
}

void BertJob::load(Soc& soc) {
  prepare();
  if (!token_file_.lengths.empty())
    inputs_ = padded_tokens(token_file_, spec_.seq);
  else if (!spec_.embeddings_file.empty())
    inputs_ = embeddings_from_npy(model_, spec_.embeddings_file, spec_.seq, spec_.valid_len);
  else
    inputs_ = synthetic_tokens(model_, spec_.seq, spec_.batch, parse_valid_lengths(spec_.valid_len, spec_.seq, spec_.batch), spec_.seed);
  const PruningOptions& P = spec_.pruning;
  // Synthetic weights that no check reads on the host are drawn straight into DRAM (N:M weights are
  // compressed on the host first).
  scaled_ = fx::format().per_tensor();
  const bool drawn_in_dram = !scaled_ && spec_.weights_file.empty() && !checks_outputs() && !P.nm_weights;
  if (scaled_) {
    load_per_tensor_weights();
  } else {
    // The double-precision comparison (check) runs on the file's values before rounding.
    weights_ = spec_.weights_file.empty() ? synthetic_weights(model_, spec_.seed, !drawn_in_dram)
                                          : load_safetensors(model_, spec_.weights_file, checks_outputs() && !P.score_engine());
  }
  if (spec_.mlm) mlm_head_ = load_mlm_head(model_, spec_.weights_file);
  if (P.leopard) {
    if (P.thresholds.layers.size() != model_.layers.size())
      throw PruningError("LeOPArd thresholds for " + std::to_string(P.thresholds.layers.size()) + " layers, the model has " +
                         std::to_string(model_.layers.size()));
    if (P.hdp_approx) throw PruningError("LeOPArd and the HDP approximation compute scores differently: choose one");
  }
  if (P.score_engine())
    for (size_t l = 0; l < model_.layers.size(); ++l)
      if (!model_.layers[l].uniform_sdp())
        throw PruningError("LeOPArd and HDP score layers of sa_sdp heads of one size; layer " + std::to_string(l) + " has other heads");

  const uint32_t S = inputs_.seq, B = inputs_.batch, H = model_.hidden, H_out = model_.output_hidden();
  DramLayout layout(soc);
  auto put = [&](const auto& t, const std::string& what) { return put_tensor(soc, layout, t, spec_.seed, what); };
  const SyntheticRecipe recipe = drawn_in_dram ? synthetic_recipe(model_) : SyntheticRecipe{};
  fw_bert_args_t a{};
  a.layers = static_cast<uint32_t>(model_.layers.size());
  a.hidden = H, a.seq = S, a.batch = B;
  const RunOptions o = run_options();
  auto flag = [](bool on, fw_bert_flags f) { return on ? static_cast<uint32_t>(f) : 0u; };
  const CompatConfig& compat = soc.cfg().compat;  // as AccelTran's simulator compiles the model
  a.flags = flag(inputs_.from_tokens, FW_BERT_TOKENS) | flag(spec_.pooler, FW_BERT_POOLER) | flag(spec_.dynatran, FW_BERT_DYNATRAN) |
            flag(spec_.topk_exact, FW_BERT_TOPK_EXACT) | flag(compat.whole_embedding_table, FW_BERT_WHOLE_TABLE) |
            flag(compat.weights_per_sequence, FW_BERT_WEIGHTS_PER_SEQ) | flag(compat.in_order_loads, FW_BERT_IN_ORDER_LOADS);
  a.tau = static_cast<uint32_t>(o.tau);
  a.topk = spec_.topk;
  a.ln_eps = o.ln_eps;
  a.vocab = model_.vocab, a.max_pos = model_.max_positions;
  // The same layout from the host's weights or from the recipe of those drawn in DRAM.
  auto place = [&](const auto& W) {
    if (inputs_.from_tokens) {
      // The whole table's space; a synthetic table is written only where the inputs read it.
      a.word_emb = layout.alloc(uint64_t{model_.vocab} * H * 4, "the word-embedding table");
      int32_t* table = soc.dram_as<int32_t>(a.word_emb, uint64_t{model_.vocab} * H);
      if (weights_.word.synthetic()) {
        for (uint32_t id : inputs_.tokens) weights_.word.row(id, table + uint64_t{id} * H);
      } else {
        std::memcpy(table, weights_.word.table().data(), weights_.word.table().size() * 4);
      }
      a.pos_emb = put(W.pos, "position embeddings");
      a.type_emb = put(W.type, "token-type embeddings");
      a.emb_ln_g = put(W.emb_g, "embedding layer norm");
      a.emb_ln_b = put(W.emb_b, "embedding layer norm");
      a.tokens = layout.alloc(inputs_.tokens.size() * 4, "token ids");
      std::memcpy(soc.dram_ptr(a.tokens, inputs_.tokens.size() * 4), inputs_.tokens.data(), inputs_.tokens.size() * 4);
    } else {
      a.input = put(inputs_.embeddings, "input embeddings");
    }
    a.valid_len = layout.alloc(B * 4, "valid lengths");
    std::memcpy(soc.dram_ptr(a.valid_len, B * 4), inputs_.valid_len.data(), B * 4);

    std::vector<fw_bert_layer_t> table(model_.layers.size());
    uint32_t transforms[2] = {0, 0};  // the DFT and DCT matrices of the sequence length, when a head uses them
    for (size_t l = 0; l < model_.layers.size(); ++l) {
      const LayerShape& s = model_.layers[l];
      const auto& w = W.layers[l];
      fw_bert_layer_t& t = table[l];
      const std::string name = "layer " + std::to_string(l) + " weights";
      const uint32_t H = model_.layer_hidden(l);
      // 1.0: in the format, or in Q.16 (the SOFTMAX scale of the per-tensor formats).
      const uint32_t unit_scale = scaled_ ? 65536u : static_cast<uint32_t>(fx::from_double(1.0));
      t.heads = s.heads, t.head_dim = s.head_dim;
      // The query words carry 1/sqrt(d) (folded in by the loader, as a model compiler does), so the
      // softmax scales by 1 and the scores it saturates are the logits (query_scale_divisors).
      t.score_scale = s.head_dim ? unit_scale : 0;
      t.hidden = H;
      t.next_hidden = model_.projects(l) ? model_.layer_hidden(l + 1) : H;
      t.qk_width = s.qk_width();
      t.n_ffn = static_cast<uint32_t>(s.ffn.size());
      for (size_t i = 0; i < s.ffn.size(); ++i) t.ffn[i] = s.ffn[i];
      // N:M weights are stored compressed (values with their indices), as the engine reads them.
      auto matrix = [&](const auto& m, uint32_t k, uint32_t n) {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, Tensor>)
          return put(P.nm_weights ? nm::compress(m, k, n, P.nm_n, P.nm_m) : m, name);
        else
          return put(m, name);
      };
      const uint32_t A = s.attention(), QK = s.qk_width();
      // The head table: each head's columns and its matrix (docs/transformers.md, "Model dicts").
      std::vector<fw_bert_head_t> heads;
      uint32_t col = 0, qk_col = 0;
      const std::vector<Head> list = s.head_list();
      for (size_t i = 0; i < list.size(); ++i) {
        const Head& h = list[i];
        fw_bert_head_t x{};
        x.kind = static_cast<uint32_t>(h.kind), x.dim = h.dim, x.col = col, x.kernel = h.kernel;
        if (h.attends()) x.qk_col = qk_col, x.score_scale = unit_scale, qk_col += h.dim;
        if (h.kind == HeadKind::Wma || h.kind == HeadKind::Conv) x.w = put(w.head_w.at(i), name);
        if (h.kind == HeadKind::Conv) x.b = put(w.head_b.at(i), name);
        if (h.kind == HeadKind::Dft || h.kind == HeadKind::Dct) {
          uint32_t& at = transforms[h.kind == HeadKind::Dft ? 0 : 1];
          if (!at) at = put(transform_matrix_words(h.kind, S), h.kind == HeadKind::Dft ? "the DFT matrix" : "the DCT matrix");
          x.w = at;
        }
        heads.push_back(x);
        col += h.dim;
      }
      t.head_table = layout.alloc(heads.size() * sizeof(fw_bert_head_t), "the head table");
      std::memcpy(soc.dram_ptr(t.head_table, heads.size() * sizeof(fw_bert_head_t)), heads.data(), heads.size() * sizeof(fw_bert_head_t));
      if (QK) t.wq = matrix(w.wq, H, QK), t.bq = put(w.bq, name), t.wk = matrix(w.wk, H, QK), t.bk = put(w.bk, name);
      t.wv = matrix(w.wv, H, A), t.bv = put(w.bv, name), t.wo = matrix(w.wo, A, H), t.bo = put(w.bo, name);
      t.ln1_g = put(w.ln1_g, name), t.ln1_b = put(w.ln1_b, name);
      uint32_t in_dim = H;
      for (size_t i = 0; i < w.ffn_w.size(); ++i) {
        const uint32_t out_dim = i < s.ffn.size() ? s.ffn[i] : H;
        t.ffn_w[i] = matrix(w.ffn_w[i], in_dim, out_dim), t.ffn_b[i] = put(w.ffn_b[i], name);
        in_dim = out_dim;
      }
      t.ln2_g = put(w.ln2_g, name), t.ln2_b = put(w.ln2_b, name);
      if (model_.projects(l)) t.proj_w = matrix(w.proj_w, H, t.next_hidden), t.proj_b = put(w.proj_b, name);
    }
    a.layer_table = layout.alloc(table.size() * sizeof(fw_bert_layer_t), "the layer table");
    std::memcpy(soc.dram_ptr(a.layer_table, table.size() * sizeof(fw_bert_layer_t)), table.data(), table.size() * sizeof(fw_bert_layer_t));
    a.pool_w = put(W.pool_w, "pooler");
    a.pool_b = put(W.pool_b, "pooler");
  };
  if (drawn_in_dram)
    place(recipe);
  else
    place(weights_);
  // Pruning units.
  a.flags |= flag(P.leopard, FW_BERT_LEOPARD) | flag(P.leopard && P.thresholds.per_head, FW_BERT_LEOPARD_PER_HEAD) |
             flag(P.hdp_heads, FW_BERT_HDP_HEADS) | flag(P.hdp_blocks, FW_BERT_HDP_BLOCKS) | flag(P.hdp_approx, FW_BERT_HDP_APPROX) |
             flag(P.nm_weights, FW_BERT_NM_WEIGHTS) | flag(P.nm_act, FW_BERT_NM_ACT);
  if (P.leopard) {
    std::vector<int32_t> table;  // int64 entries as two words, layer-major
    for (const auto& layer : P.thresholds.layers)
      for (int64_t th : layer) table.push_back(static_cast<int32_t>(th)), table.push_back(static_cast<int32_t>(th >> 32));
    a.leopard_thresholds = put(table, "LeOPArd thresholds");
    a.leopard_key_bits = P.thresholds.key_bits;
  }
  a.hdp_frac_bits = P.hdp.frac_bits;
  a.hdp_head_ctrl = P.hdp.head_importance | P.hdp.head_threshold << ACC_HDP_HEAD_CTRL_THRESHOLD_SHIFT;
  a.hdp_head_param = P.hdp.head_param;
  a.hdp_block_ctrl = P.hdp.block_rows | P.hdp.block_cols << ACC_HDP_BLOCK_CTRL_COLS_SHIFT | P.hdp.block_threshold << ACC_HDP_BLOCK_CTRL_THRESHOLD_SHIFT;
  a.hdp_block_param = P.hdp.block_param;
  a.nm_cfg = P.nm_n | P.nm_m << ACC_NM_CFG_M_SHIFT;
  if (scaled_) {  // the scale table the firmware programs every descriptor's scale fields from
    a.flags |= FW_BERT_SCALED;
    a.scales = layout.alloc(sizeof(fw_bert_scales_t), "the scale table");
    std::memcpy(soc.dram_ptr(a.scales, sizeof(fw_bert_scales_t)), &scales_.global, sizeof(fw_bert_scales_t));
    const uint64_t bytes = scales_.layers.size() * sizeof(fw_bert_layer_scales_t);
    a.layer_scales = layout.alloc(bytes, "the scale table");
    std::memcpy(soc.dram_ptr(a.layer_scales, bytes), scales_.layers.data(), bytes);
  }
  a.out_hidden = out_hidden_ = layout.alloc(uint64_t{B} * S * H_out * 4, "the output hidden states");
  a.out_pooled = out_pooled_ = layout.alloc(uint64_t{B} * H_out * 4, "the pooled output");

  start_job(soc, layout, FW_JOB_BERT)->args.bert = a;
  soc.pe().set_token_validity({S, inputs_.valid_len});
  if (checks_outputs()) {
    reference_ = std::async(std::launch::async, [this] { return reference_forward(model_, weights_, inputs_, run_options()); });
    float_ = std::async(std::launch::async, [this] {
      const RunOptions o = run_options();
      FloatExpected e;
      if (!o.pruning.score_engine()) {
        e.trained = float_forward(model_, weights_, inputs_, o, model_.ln_eps);
        if (weights_.file_values && !scaled_) e.rounded = float_forward(model_, weights_, inputs_, o, model_.ln_eps, true);
      }
      return e;
    });
  }
}

double BertJob::hidden_value(int32_t word) const {
  return scaled_ ? std::ldexp(double(word), -int(scales_.layers.empty() ? scales_.global.emb : scales_.layers.back().ln2)) : fx::to_double(word);
}
double BertJob::pooled_value(int32_t word) const {
  return scaled_ ? std::ldexp(double(word), -int(scales_.global.pooled)) : fx::to_double(word);
}

JobResult BertJob::check(Soc& soc, Stats& stats) {
  const fw_job_t* job = soc.dram_as<fw_job_t>(FW_JOB_PA);
  const uint32_t S = inputs_.seq, B = inputs_.batch, H = model_.output_hidden();
  put_firmware_stats(*job, stats);
  uint64_t valid_tokens = 0;
  for (uint32_t v : inputs_.valid_len) valid_tokens += v;
  stats.put("job.bert.layers", model_.layers.size(), "layers", "Encoder layers run");
  stats.put("job.bert.sequences", B, "sequences", "Sequences in the batch");
  stats.put("job.bert.seq_len", S, "tokens", "Sequence length (padded)");
  stats.put("job.bert.valid_tokens", valid_tokens, "tokens", "Valid (non-padding) tokens of the batch");
  stats.put("job.bert.group", job->args.bert.group, "sequences", "Sequences the firmware processed together (what fits the buffers)");
  stats.put("job.bert.encoder_macs", model_.encoder_macs(S) * B, "MACs", "Encoder MACs of the batch by the model's shape (the BERT encoder layer, Devlin et al. 2019; a model dict's heads by their kind)");
  put_load_saturation(stats, weights_.saturated, inputs_.saturated);
  JobResult r;
  if (job->status != FW_OK) {
    r.message = firmware_failure(*job, soc);
    return r;
  }
  outputs_.hidden = read_words(soc, out_hidden_, uint64_t{B} * S * H);
  if (spec_.pooler) outputs_.pooled = read_words(soc, out_pooled_, uint64_t{B} * H);
  if (!spec_.outputs_file.empty()) {
    // "ACTOUT1\0", batch, seq, hidden (u32), the valid lengths (u32 each), the hidden states (int32).
    std::ofstream out(spec_.outputs_file, std::ios::binary);
    if (!out) throw std::runtime_error("cannot write '" + spec_.outputs_file + "'");
    const uint32_t header[3] = {B, S, H};
    out.write("ACTOUT1", 8);
    out.write(reinterpret_cast<const char*>(header), sizeof header);
    out.write(reinterpret_cast<const char*>(inputs_.valid_len.data()), static_cast<std::streamsize>(B * 4));
    out.write(reinterpret_cast<const char*>(outputs_.hidden.data()), static_cast<std::streamsize>(outputs_.hidden.size() * 4));
  }

  std::string task;
  if (spec_.mlm) {
    // The host's part of the task: the MLM head on the accelerator's hidden states.
    std::vector<double> hidden(outputs_.hidden.size());
    for (size_t i = 0; i < hidden.size(); ++i) hidden[i] = hidden_value(outputs_.hidden[i]);
    const MlmScore score = score_masked_tokens(model_, mlm_head_, hidden, masked_);
    stats.put("job.mlm.masked_tokens", score.masked, "tokens", "Tokens masked in the MLM text (--task mlm)");
    stats.put("job.mlm.correct", score.correct, "tokens", "Masked tokens the MLM head (on the host) predicts right from the accelerator's hidden states");
    stats.put_real("job.mlm.accuracy", score.accuracy(), "fraction", "Masked-token accuracy: job.mlm.correct / job.mlm.masked_tokens");
    stats.put_real("job.mlm.loss", score.loss, "nats", "Mean cross-entropy of the masked tokens' original ids");
    std::ostringstream t;
    t << "; MLM: accuracy " << score.accuracy() << " (" << score.correct << " of " << score.masked << " masked tokens), loss " << score.loss;
    task = t.str();
  }
  const bool run_check = checks_outputs();
  stats.put("job.checked", run_check ? 1 : 0, "bool", "1 if the outputs were compared with the reference model");
  if (!run_check) {
    r.ok = true;
    r.message = "outputs not checked (a large model: --check on compares them with the reference model)" + task;
    return r;
  }
  const RunOptions o = run_options();
  const Outputs ref = reference_.get();
  const FloatExpected expected = float_.get();
  uint64_t mismatches = 0;
  std::string first;
  auto compare = [&](const Tensor& got, const Tensor& want, const char* what, uint32_t cols) {
    for (uint64_t i = 0; i < want.size(); ++i)
      if (got[i] != want[i] && mismatches++ == 0)
        first = std::string(what) + "[" + std::to_string(i / cols) + "][" + std::to_string(i % cols) + "]: " + std::to_string(got[i]) +
                " != " + std::to_string(want[i]);
  };
  compare(outputs_.hidden, ref.hidden, "hidden", H);
  compare(outputs_.pooled, ref.pooled, "pooled", H);
  stats.put("job.outputs", outputs_.hidden.size() + outputs_.pooled.size(), "values", "Output values checked");
  stats.put("job.mismatches", mismatches, "values", "Outputs that differ from the reference model");

  r.ok = mismatches == 0;
  // Beside "bit-exact": how many values the datapath clipped (bit-exact clipping is still clipping).
  const std::string saturation = soc.pe().saturation().describe(weights_.saturated, inputs_.saturated);
  if (o.pruning.score_engine()) {  // LeOPArd and HDP decide in the integer domain: no float counterpart
    r.message = r.ok ? "bit-exact against the reference model (" + std::to_string(outputs_.hidden.size() + outputs_.pooled.size()) +
                           " values); " + saturation
                     : std::to_string(mismatches) + " values differ from the reference model; first " + first;
    r.message += task;
    return r;
  }
  // The fixed-point datapath against double precision, over valid tokens: on the weights as trained
  // (everything the format loses), and on the weights as rounded into the format (its arithmetic
  // alone). Synthetic weights are exact in the format: the two are the same run.
  const FloatOutputs& f = expected.trained;
  struct HiddenError {
    double max = 0, mean = 0;
  };
  auto hidden_error = [&](const FloatOutputs& d) {
    double max_err = 0, sum_err = 0;
    uint64_t n = 0;
    for (uint32_t b = 0; b < B; ++b)
      for (uint32_t t = 0; t < inputs_.valid_len[b]; ++t)
        for (uint32_t c = 0; c < H; ++c) {
          const uint64_t i = (uint64_t{b} * S + t) * H + c;
          const double e = std::fabs(hidden_value(outputs_.hidden[i]) - d.hidden[i]);
          max_err = std::max(max_err, e), sum_err += e, ++n;
        }
    return HiddenError{max_err, n ? sum_err / double(n) : 0.0};
  };
  const HiddenError total = hidden_error(f);
  const HiddenError arithmetic = weights_.file_values && !scaled_ ? hidden_error(expected.rounded) : total;
  double pooled_max = 0;
  for (size_t i = 0; i < f.pooled.size(); ++i) pooled_max = std::max(pooled_max, std::fabs(pooled_value(outputs_.pooled[i]) - f.pooled[i]));
  stats.put_real("job.float.hidden_max_abs_error", total.max, "value",
                 "Largest |accelerator - double-precision BERT| of a valid token's hidden state, on the weights as trained (a file's values before rounding)");
  stats.put_real("job.float.hidden_mean_abs_error", total.mean, "value", "Mean of the same");
  stats.put_real("job.float.pooled_max_abs_error", pooled_max, "value", "Largest |accelerator - double-precision BERT| of the pooled output");
  stats.put_real("job.float.rounded_weights.hidden_max_abs_error", arithmetic.max, "value",
                 "The same on the weights rounded into the number format: the datapath's arithmetic alone (equal to the above for synthetic weights)");
  stats.put_real("job.float.rounded_weights.hidden_mean_abs_error", arithmetic.mean, "value", "Mean of the same");
  if (spec_.mlm) {  // the same metric without the datapath's rounding and clipping: what Q4.16 costs the task
    const MlmScore fs = score_masked_tokens(model_, mlm_head_, f.hidden, masked_);
    stats.put_real("job.mlm.float_accuracy", fs.accuracy(), "fraction", "Masked-token accuracy of the double-precision BERT on the file's weights (the same masks)");
    stats.put_real("job.mlm.float_loss", fs.loss, "nats", "Its mean cross-entropy");
    std::ostringstream t;
    t << " (double precision: accuracy " << fs.accuracy() << ", loss " << fs.loss << ")";
    task += t.str();
  }

  std::ostringstream m;
  if (r.ok) {
    m << "bit-exact against the reference model (" << outputs_.hidden.size() + outputs_.pooled.size() << " values); " << saturation
      << "; vs double precision: max " << total.max << ", mean " << total.mean << " on the hidden states";
    if (weights_.file_values && !scaled_)
      m << " (the arithmetic alone, on the weights as rounded: max " << arithmetic.max << ", mean " << arithmetic.mean << ")";
  } else {
    m << mismatches << " values differ from the reference model; first " << first;
  }
  r.message = m.str() + task;
  return r;
}

}  // namespace acc
