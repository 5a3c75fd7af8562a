// A safetensors file read strictly (the Hugging Face format: an 8-byte header length, a JSON
// header naming every tensor's dtype, shape and byte range, then the data): BERT's and GPT-2's
// loaders read their tensors through it. Every problem is a WeightsError naming the file and the
// tensor.
#pragma once

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "fixed_point.hpp"
#include "input_file.hpp"
#include "json_reader.hpp"
#include "weights.hpp"

namespace acc::bert {

struct TensorInfo {
  std::string dtype;
  std::vector<uint64_t> shape;
  uint64_t begin = 0, end = 0;
};

inline std::string shape_str(const std::vector<uint64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

inline double half_to_double(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  double v;
  if (exp == 0)
    v = std::ldexp(mant, -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(mant + 1024, exp - 25);
  return sign ? -v : v;
}

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const InputBytes& in) : path_(in.name()), in_(in) {
    const std::string& path = path_;
    const uint64_t size = in.size();
    uint64_t n = 0;
    if (!in_.read(0, &n, 8) || n == 0 || n > kMaxSafetensorsHeaderBytes || n > size - 8)
      throw WeightsError(path + ": not a safetensors file (bad header length)");
    std::string header(n, '\0');
    if (!in_.read(8, header.data(), n)) throw WeightsError(path + ": truncated header");
    data_start_ = 8 + n;
    const uint64_t data_bytes = size - data_start_;
    const nlohmann::json j = parse_json_as<WeightsError>(header, path + ": malformed safetensors header: ");
    if (!j.is_object()) throw WeightsError(path + ": malformed safetensors header: expected a JSON object of tensors");
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "__metadata__") continue;
      TensorInfo t;
      const auto malformed = [&] { return WeightsError(path + ": tensor '" + it.key() + "' has a malformed header entry"); };
      // Sizes and offsets must be JSON unsigned integers: nlohmann would truncate 12.7 to 12, and a
      // float beyond the 64-bit range (1e60) has no integer value at all.
      const auto whole = [&](const nlohmann::json& v) {
        if (!v.is_number_unsigned()) throw malformed();
        return v.get<uint64_t>();
      };
      try {
        t.dtype = it.value().at("dtype").get<std::string>();
        const nlohmann::json& shape = it.value().at("shape");
        if (!shape.is_array()) throw malformed();
        for (const auto& d : shape) t.shape.push_back(whole(d));
        t.begin = whole(it.value().at("data_offsets").at(0));
        t.end = whole(it.value().at("data_offsets").at(1));
      } catch (const nlohmann::json::exception&) {
        throw malformed();
      }
      // Offsets count from the data's start: compared with the data's size, they cannot wrap.
      if (t.end < t.begin || t.end > data_bytes) throw WeightsError(path + ": tensor '" + it.key() + "' lies outside the file");
      tensors_[it.key()] = t;
    }
  }

  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  // The shape of tensor `name` (which must exist).
  const std::vector<uint64_t>& shape(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw WeightsError(path_ + ": tensor '" + name + "' is missing");
    return it->second.shape;
  }

  // Reads tensor `name` as doubles after checking it has `shape`.
  std::vector<double> read(const std::string& name, const std::vector<uint64_t>& shape) {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw WeightsError(path_ + ": tensor '" + name + "' is missing");
    const TensorInfo& t = it->second;
    if (t.shape != shape)
      throw WeightsError(path_ + ": tensor '" + name + "' has shape " + shape_str(t.shape) + ", the model needs " + shape_str(shape));
    uint64_t count = 1;
    for (uint64_t d : shape) count *= d;
    const unsigned width = t.dtype == "F32" ? 4 : t.dtype == "F64" ? 8 : (t.dtype == "F16" || t.dtype == "BF16") ? 2 : 0;
    if (!width) throw WeightsError(path_ + ": tensor '" + name + "' has dtype " + t.dtype + " (F32, F16, BF16 or F64 expected)");
    if (t.end - t.begin != count * width) throw WeightsError(path_ + ": tensor '" + name + "' has the wrong byte size");
    std::vector<char> raw(t.end - t.begin);
    if (!in_.read(data_start_ + t.begin, raw.data(), raw.size())) throw WeightsError(path_ + ": tensor '" + name + "' is truncated");
    std::vector<double> v(count);
    for (uint64_t i = 0; i < count; ++i) {
      const char* p = raw.data() + i * width;
      if (t.dtype == "F32") {
        float f;
        std::memcpy(&f, p, 4);
        v[i] = f;
      } else if (t.dtype == "F64") {
        std::memcpy(&v[i], p, 8);
      } else {
        uint16_t h;
        std::memcpy(&h, p, 2);
        if (t.dtype == "F16") {
          v[i] = half_to_double(h);
        } else {
          const uint32_t bits = uint32_t{h} << 16;
          float f;
          std::memcpy(&f, &bits, 4);
          v[i] = f;
        }
      }
      if (!std::isfinite(v[i]))  // Q4.16 has neither
        throw WeightsError(path_ + ": tensor '" + name + "' holds " + (std::isnan(v[i]) ? "NaN" : "an infinity") + " at element " +
                           std::to_string(i));
    }
    return v;
  }

 private:
  std::string path_;
  InputBytes in_;
  uint64_t data_start_ = 0;
  std::map<std::string, TensorInfo> tensors_;
};

// A tensor's values rounded into the number format; `saturated` counts those clipped.
inline Tensor quantised(const std::vector<double>& v, uint64_t& saturated) {
  Tensor t(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    t[i] = fx::from_double(v[i]);
    saturated += fx::from_double_saturates(v[i]);
  }
  return t;
}

// Writes F32 tensors (name, shape, values) as a safetensors file; a WeightsError if it cannot.
using NamedTensors = std::vector<std::pair<std::string, std::pair<std::vector<uint64_t>, std::vector<float>>>>;
inline void write_safetensors(const std::string& path, const NamedTensors& tensors) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t bytes = t.second.size() * 4;
    header[name] = {{"dtype", "F32"}, {"shape", t.first}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8) h += ' ';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw WeightsError("cannot write '" + path + "'");
  const uint64_t n = h.size();
  out.write(reinterpret_cast<const char*>(&n), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& [name, t] : tensors) out.write(reinterpret_cast<const char*>(t.second.data()), static_cast<std::streamsize>(t.second.size() * 4));
}

}  // namespace acc::bert
