#include "vit_job.hpp"

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
}  // namespace

VitJob::VitJob(const VitSpec& s) : spec_(s), model_(vit::zoo_model(s.model, s.layers)) {
  if (spec_.batch == 0) throw bert::InputError("--batch must be at least 1");
  images_ = spec_.image_file.empty() ? vit::synthetic_images(model_, spec_.batch, spec_.seed)
                                     : vit::images_from_npy(model_, spec_.image_file);
}

vit::Options VitJob::options() const {
  return preln_options(spec_, model_.encoder.ln_eps);
}

std::string VitJob::describe() const {
  std::ostringstream s;
  s << model_.encoder.name << " (" << model_.encoder.layers.size() << " layers, hidden " << model_.encoder.hidden << "), " << images_.batch
    << " image(s) " << model_.image << "x" << model_.image << " in " << model_.tokens() << " tokens (" << images_.origin << ")";
  s << (spec_.dynatran ? ", DynaTran tau " + std::to_string(spec_.tau).substr(0, 6) : ", DynaTran off");
  if (spec_.topk) s << ", top-" << spec_.topk << (spec_.topk_exact ? " (exact)" : " (strict)");
  if (spec_.nm_weights) s << ", N:M weights " << spec_.nm_n << ":" << spec_.nm_m;
  if (spec_.nm_act) s << ", N:M activations " << spec_.nm_n << ":" << spec_.nm_m;
  return s.str();
}

uint64_t VitJob::total_macs() const { return vit::image_macs(model_) * images_.batch; }

bool VitJob::checks_outputs() const {
  return spec_.check == VitSpec::Check::On || (spec_.check == VitSpec::Check::Auto && total_macs() <= kAutoCheckMacs);
}

uint64_t VitJob::host_memory_bytes() {
  const double H = model_.encoder.hidden, T = model_.tokens(), C = model_.classes, B = images_.batch, D = model_.patch_dim();
  double params = D * H + (T + 3) * H + (H + 1) * C, widest = H;
  for (const auto& l : model_.encoder.layers) params += 4 * H * l.attention() + 2 * H * l.ffn.at(0) + 9 * H, widest = std::max(widest, double(l.ffn.at(0)));
  double bytes = 4 * params * (spec_.nm_weights ? 3 : 2) + 8 * B * T * D;  // weights on the host and in DRAM; the images
  if (!spec_.weights_file.empty()) bytes += 16 * std::max(D, widest) * H;
  bytes += 4 * B * (T * H + C);
  if (checks_outputs()) {
    const double heads = double(model_.encoder.layers.at(0).heads);
    bytes += 4 * B * (T * H + C) + 4 * params + 2 * 8 * (T * (6 * H + widest) + heads * T * T);
  }
  return saturated_bytes(bytes + DramLayout::kFixedBytes);
}

void VitJob::load(Soc& soc) {
  const uint32_t H = model_.encoder.hidden;
  DramLayout layout(soc);
  auto put = [&](const auto& t, const std::string& what) { return put_tensor(soc, layout, t, spec_.seed, what); };
  fw_vit_args_t a{};
  a.layers = static_cast<uint32_t>(model_.encoder.layers.size());
  a.hidden = H, a.batch = images_.batch, a.patches = model_.patches(), a.patch_dim = model_.patch_dim(), a.classes = model_.classes;
  const vit::Options o = options();
  auto flag = [](bool on, fw_vit_flags f) { return on ? static_cast<uint32_t>(f) : 0u; };
  a.flags = flag(spec_.dynatran, FW_VIT_DYNATRAN) | flag(spec_.topk_exact, FW_VIT_TOPK_EXACT) | flag(spec_.nm_weights, FW_VIT_NM_WEIGHTS) |
            flag(spec_.nm_act, FW_VIT_NM_ACT);
  a.tau = static_cast<uint32_t>(o.tau), a.topk = spec_.topk, a.ln_eps = o.ln_eps;
  a.nm_cfg = spec_.nm_n | spec_.nm_m << ACC_NM_CFG_M_SHIFT;
  a.images = put(images_.patches, "the images' patches");
  place_weights(
      spec_, checks_outputs(), weights_,
      [&] { return spec_.weights_file.empty() ? vit::synthetic_weights(model_, spec_.seed) : vit::load_safetensors(model_, spec_.weights_file); },
      [&] { return vit::synthetic_recipe(model_); },
      [&](const auto& W) {
        a.patch_w = put(W.patch_w, "the patch embedding"), a.patch_b = put(W.patch_b, "the patch embedding");
        a.cls = put(W.cls, "the CLS token"), a.pos = put(W.pos, "the position embeddings");
        a.lnf_g = put(W.lnf_g, "the final layer norm"), a.lnf_b = put(W.lnf_b, "the final layer norm");
        a.head_w = put(W.head_w, "the classifier"), a.head_b = put(W.head_b, "the classifier");
        a.layer_table = put_preln_layers(soc, layout, H, model_.encoder.layers, W.layers, spec_, spec_.seed);
      });
  a.out_hidden = out_hidden_ = layout.alloc(uint64_t{images_.batch} * model_.tokens() * H * 4, "the output hidden states");
  a.out_logits = out_logits_ = layout.alloc(uint64_t{images_.batch} * model_.classes * 4, "the logits");
  start_job(soc, layout, FW_JOB_VIT)->args.vit = a;
}

JobResult VitJob::check(Soc& soc, Stats& stats) {
  const fw_job_t* job = soc.dram_as<fw_job_t>(FW_JOB_PA);
  const uint32_t B = images_.batch, H = model_.encoder.hidden, T = model_.tokens(), C = model_.classes;
  const uint64_t per_image = uint64_t{model_.patches()} * model_.patch_dim();
  put_firmware_stats(*job, stats);
  stats.put("job.vit.layers", model_.encoder.layers.size(), "layers", "Encoder layers run");
  stats.put("job.vit.images", B, "images", "Images of the batch, run one after the other");
  stats.put("job.vit.tokens", T, "tokens", "Tokens per image: the patches and the CLS token");
  stats.put("job.vit.dense_macs", total_macs(), "MACs", "Dense MACs of the job by the model's shape (patch embedding, layers, classifier)");
  put_load_saturation(stats, weights_.saturated, images_.saturated);
  JobResult r;
  if (job->status != FW_OK) {
    r.message = firmware_failure(*job, soc);
    return r;
  }
  const bert::Tensor hidden = read_words(soc, out_hidden_, uint64_t{B} * T * H);
  const bert::Tensor logits = read_words(soc, out_logits_, uint64_t{B} * C);
  std::ostringstream classes;
  for (uint32_t b = 0; b < std::min(B, 8u); ++b)
    classes << (b ? " " : "") << gpt2::greedy(bert::Tensor(logits.begin() + uint64_t{b} * C, logits.begin() + uint64_t{b + 1} * C));
  if (B > 8) classes << " ...";
  stats.put("job.vit.top_class", gpt2::greedy(bert::Tensor(logits.begin(), logits.begin() + C)), "class", "The first image's top class");
  stats.put("job.checked", checks_outputs() ? 1 : 0, "bool", "1 if the outputs were compared with the reference model");
  if (!checks_outputs()) {
    r.ok = true;
    r.message = "not checked (--check auto above 2 G MACs; --check on checks); classes " + classes.str();
    return r;
  }
  ReferenceComparison cmp;
  const vit::Options o = options();
  for (uint32_t b = 0; b < B; ++b) {
    const bert::Tensor patches(images_.patches.begin() + b * per_image, images_.patches.begin() + (b + 1) * per_image);
    const vit::Output ref = vit::reference_forward(model_, weights_, o, patches);
    cmp.compare(hidden, ref.hidden, uint64_t{b} * T * H, "image " + std::to_string(b) + " hidden state");
    cmp.compare(logits, ref.logits, uint64_t{b} * C, "image " + std::to_string(b) + " logit");
  }
  stats.put("job.mismatches", cmp.mismatches, "values", "Outputs (hidden states, logits) differing from the reference model");
  // Double precision on the first image.
  const bert::Tensor patches0(images_.patches.begin(), images_.patches.begin() + per_image);
  const vit::FloatOutput f = vit::float_forward(model_, weights_, o, model_.encoder.ln_eps, patches0);
  double hidden_max = 0, hidden_sum = 0, logit_max = 0;
  for (uint64_t i = 0; i < uint64_t{T} * H; ++i) {
    const double e = std::fabs(fx::to_double(hidden[i]) - f.hidden[i]);
    hidden_max = std::max(hidden_max, e), hidden_sum += e;
  }
  for (uint32_t j = 0; j < C; ++j) logit_max = std::max(logit_max, std::fabs(fx::to_double(logits[j]) - f.logits[j]));
  const uint32_t float_class = static_cast<uint32_t>(std::max_element(f.logits.begin(), f.logits.end()) - f.logits.begin());
  const bool agrees = float_class == gpt2::greedy(bert::Tensor(logits.begin(), logits.begin() + C));
  stats.put_real("job.float.hidden_max_abs_error", hidden_max, "value", "Largest |accelerator - double-precision ViT| of the final hidden states (first image)");
  stats.put_real("job.float.hidden_mean_abs_error", hidden_sum / (double(T) * H), "value", "Mean of the same");
  stats.put_real("job.float.logits_max_abs_error", logit_max, "value", "Largest |accelerator - double precision| of the first image's logits");
  stats.put("job.float.top1_agreement", agrees ? 1 : 0, "bool", "1 if the double-precision top class is the accelerator's (first image)");
  std::ostringstream m;
  if (cmp.mismatches == 0) {
    r.ok = true;
    m << "bit-exact against the reference model (" << cmp.compared << " values; classes " << classes.str() << "); vs double precision: hidden max "
      << hidden_max << ", logits max " << logit_max << ", top-1 " << (agrees ? "agrees" : "differs");
  } else {
    m << cmp.mismatches << " values differ from the reference model; first " << cmp.first;
  }
  r.message = m.str();
  return r;
}

}  // namespace acc
