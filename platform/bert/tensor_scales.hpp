// The per-tensor-scaled formats (int8, int16) for BERT encoders: every tensor has its own
// power-of-two scale 2^-f. Weights take f from their largest magnitude; activations from a static
// calibration pass (the double-precision model on the calibration inputs: the job's own); the
// probabilities have the fixed w - 2 (they reach 1.0). The constraints of the datapath's shifters
// are applied in the order the tensors are computed (docs/configuration.md, "Number formats").
#pragma once

#include <cstdint>
#include <vector>

#include "bert_reference.hpp"

namespace acc::bert {

// The most fraction bits that hold max_abs in the active format's word (0..max_tensor_frac(); the
// most when max_abs is 0).
int frac_for(double max_abs);

// The scale table of model m (uniform sa_sdp layers, no projections) for inputs `in`, from the
// double-precision model on w's real values (w.file_values, which must be present) and each
// weight's own largest magnitude. o: the job's options (DynaTran, top-k as the run).
TensorScales calibrate_scales(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o);

// w's real values (w.file_values) as words of the active per-tensor format, each tensor at its
// scale (beta at its layer norm's output scale, biases at theirs); saturated counts the clipped.
Weights quantize_weights(const Model& m, const Weights& w, const TensorScales& s);

// Real values for weights that have none (synthetic ones, which are Q4.16 words): the words'
// values, with the query's 1/sqrt(d) taken out again (FileValues are unfolded). Call in Q4.16.
std::shared_ptr<const FileValues> values_of_words(const Model& m, const Weights& w, const std::vector<uint32_t>& tokens);

// The accelerator's per-tensor arithmetic on the BERT graph the firmware builds (uniform sa_sdp
// layers, token inputs), with o.scales: what reference_forward computes in a per-tensor format.
Outputs reference_forward_scaled(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o);

}  // namespace acc::bert
