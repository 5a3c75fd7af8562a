#include "inputs.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "fixed_point.hpp"
#include "input_file.hpp"
#include "job.hpp"
#include "parse_number.hpp"

namespace acc::bert {

std::vector<uint32_t> parse_valid_lengths(const std::string& spec, uint32_t seq, uint32_t batch) {
  if (spec.empty()) return std::vector<uint32_t>(batch, seq);
  std::vector<uint32_t> v;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      v.push_back(static_cast<uint32_t>(parse_unsigned(item, 1, seq)));
    } catch (const NumberError&) {
      throw InputError("--valid-len '" + item + "': each valid length must be within 1.." + std::to_string(seq));
    }
  }
  if (v.size() == 1) return std::vector<uint32_t>(batch, v[0]);
  if (v.size() != batch)
    throw InputError("--valid-len lists " + std::to_string(v.size()) + " lengths for a batch of " + std::to_string(batch));
  return v;
}

Inputs synthetic_tokens(const Model& m, uint32_t seq, uint32_t batch, const std::vector<uint32_t>& valid, uint64_t seed) {
  Inputs in;
  in.seq = seq, in.batch = batch, in.valid_len = valid;
  in.origin = "synthetic tokens (seed " + std::to_string(seed) + ")";
  in.tokens.assign(uint64_t{batch} * seq, 0);
  Rng rng(seed ^ 0x746F6B656E73ull);  // 'tokens'
  for (uint32_t b = 0; b < batch; ++b)
    for (uint32_t t = 0; t < valid[b]; ++t) {
      // Ids past BERT's special tokens; a small vocabulary (a trained model's) is drawn whole.
      const uint32_t first = m.vocab > 2000 ? 1000 : 0;
      uint32_t id = first + static_cast<uint32_t>(rng.next() % (m.vocab - first));
      if (t == 0 && m.vocab > 102) id = 101;                 // [CLS]
      if (t + 1 == valid[b] && t > 0 && m.vocab > 102) id = 102;  // [SEP]
      in.tokens[uint64_t{b} * seq + t] = id;
    }
  return in;
}

TokenFile read_token_file(const Model& m, const std::string& path, uint32_t seq) {
  return parse_token_file(m, read_input_file_as<InputError>(path, kMaxTokenFileBytes, "token file"), path, seq);
}

TokenFile parse_token_file(const Model& m, const std::string& text, const std::string& path, uint32_t seq) {
  check_input_size_as<InputError>(text.size(), kMaxTokenFileBytes, "token file", path);
  std::stringstream f(text);
  TokenFile t;
  t.path = path;
  std::string line;
  uint32_t line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    for (char& c : line)
      if (c == ',') c = ' ';
    std::stringstream ss(line);
    std::string tok;
    uint32_t n = 0;
    while (ss >> tok) {
      const std::string where = path + ":" + std::to_string(line_no) + ": ";
      uint64_t id = 0;
      try {
        id = parse_unsigned(tok);
      } catch (const NumberError& e) {
        throw InputError(where + "'" + tok + "' is not a token id (" + e.what() + ")");
      }
      if (id >= m.vocab) throw InputError(where + "token id " + tok + " is outside the vocabulary of " + std::to_string(m.vocab));
      t.ids.push_back(static_cast<uint32_t>(id));
      ++n;
    }
    if (n > seq)
      throw InputError(path + ":" + std::to_string(line_no) + ": " + std::to_string(n) + " tokens, more than --seq " + std::to_string(seq));
    if (n) t.lengths.push_back(n);  // the ids given are the valid tokens
  }
  if (t.lengths.empty()) throw InputError(path + ": no sequences");
  return t;
}

Inputs padded_tokens(const TokenFile& t, uint32_t seq) {
  Inputs in;
  in.seq = seq, in.origin = t.path;
  in.batch = static_cast<uint32_t>(t.lengths.size());
  in.valid_len = t.lengths;
  in.tokens.assign(uint64_t{in.batch} * seq, 0);  // [PAD]
  uint64_t next = 0;
  for (uint32_t b = 0; b < in.batch; ++b) {
    std::copy(t.ids.begin() + static_cast<std::ptrdiff_t>(next), t.ids.begin() + static_cast<std::ptrdiff_t>(next + t.lengths[b]),
              in.tokens.begin() + static_cast<std::ptrdiff_t>(uint64_t{b} * seq));
    next += t.lengths[b];
  }
  return in;
}

Inputs tokens_from_file(const Model& m, const std::string& path, uint32_t seq) { return padded_tokens(read_token_file(m, path, seq), seq); }

namespace {
InputBytes embeddings_file(const std::string& path) { return open_input_bytes_as<InputError>(path, "embeddings file"); }
}  // namespace

NpyEmbeddings read_npy_header(const Model& m, const std::string& path, uint32_t seq) { return read_npy_header(m, embeddings_file(path), seq); }

NpyArray read_npy_array(const InputBytes& in, const std::string& what) {
  const std::string& path = in.name();
  const uint64_t size = in.size();
  char magic[8];
  if (!in.read(0, magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw InputError(path + ": not a .npy file");
  // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
  uint32_t header_len = 0;
  uint64_t header_at = 8;
  bool length_read = false;
  if (magic[6] == 1) {
    uint16_t n = 0;
    length_read = in.read(8, &n, 2);
    header_len = n, header_at = 10;
  } else if (magic[6] == 2 || magic[6] == 3) {
    length_read = in.read(8, &header_len, 4);
    header_at = 12;
  } else {
    throw InputError(path + ": .npy format version " + std::to_string(int(magic[6])) + " (1, 2 or 3 expected)");
  }
  const uint64_t data_offset = header_at + header_len;
  if (!length_read || header_len > kMaxNpyHeaderBytes || data_offset > size)
    throw InputError(path + ": a .npy header of " + std::to_string(header_len) + " bytes in a file of " + std::to_string(size) +
                     " (headers are at most " + bytes_text(kMaxNpyHeaderBytes) + ")");
  std::string header(header_len, '\0');
  if (!in.read(header_at, header.data(), header_len)) throw InputError(path + ": truncated .npy header");
  // The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 32), }
  auto value_of = [&](const std::string& key) {
    size_t p = header.find("'" + key + "'");
    if (p == std::string::npos) return p;
    p = header.find_first_not_of(" ", p + key.size() + 2);
    if (p == std::string::npos || header[p] != ':') return std::string::npos;
    return header.find_first_not_of(" ", p + 1);
  };
  const size_t descr = value_of("descr");
  std::string type = descr == std::string::npos ? "" : header.substr(descr, header.find('\'', descr + 1) - descr + 1);
  if (type != "'<f4'" && type != "'<f8'" && type != "'|f4'" && type != "'|f8'" && type != "'f4'" && type != "'f8'") {
    if (type == "'>f4'" || type == "'>f8'") throw InputError(path + ": big-endian arrays are not supported");
    throw InputError(path + ": " + what + " must be float32 or float64 ('descr' '<f4' or '<f8'), not " + (type.empty() ? "unknown" : type));
  }
  const size_t order = value_of("fortran_order");
  if (order != std::string::npos && header.compare(order, 4, "True") == 0) throw InputError(path + ": Fortran-order arrays are not supported");
  const size_t open = value_of("shape");
  const size_t close = open == std::string::npos ? open : header.find(')', open);
  if (open == std::string::npos || header[open] != '(' || close == std::string::npos) throw InputError(path + ": no shape in the header");
  std::vector<uint64_t> shape;
  std::stringstream ss(header.substr(open + 1, close - open - 1));
  std::string dim;
  while (std::getline(ss, dim, ',')) {
    const auto first = dim.find_first_not_of(" "), last = dim.find_last_not_of(" ");
    if (first == std::string::npos) continue;
    try {
      shape.push_back(parse_unsigned(dim.substr(first, last - first + 1)));
    } catch (const NumberError& e) {
      throw InputError(path + ": shape: " + e.what());
    }
  }
  NpyArray a;
  a.shape = shape, a.f8 = type.find("f8") != std::string::npos, a.data_offset = data_offset;
  return a;
}

NpyEmbeddings read_npy_header(const Model& m, const InputBytes& in, uint32_t seq) {
  const std::string& path = in.name();
  const uint64_t size = in.size();
  const NpyArray a = read_npy_array(in, "embeddings");
  std::vector<uint64_t> shape = a.shape;
  const uint64_t data_offset = a.data_offset;
  if (shape.size() == 2) shape.insert(shape.begin(), 1);
  if (shape.size() != 3 || shape[1] != seq || shape[2] != m.hidden)
    throw InputError(path + ": embeddings must be [batch, " + std::to_string(seq) + ", " + std::to_string(m.hidden) + "] (--seq, hidden)");
  NpyEmbeddings e;
  e.path = path, e.f8 = a.f8, e.data_offset = data_offset;
  // The shape must be backed by the file's bytes (checked by division: the product may overflow).
  const uint64_t row_bytes = uint64_t{seq} * m.hidden * (e.f8 ? 8 : 4);
  if (shape[0] == 0 || shape[0] > (size - data_offset) / row_bytes)
    throw InputError(path + ": the shape needs " + (shape[0] == 0 ? "at least one sequence" : "more data than the file holds (truncated)"));
  e.batch = static_cast<uint32_t>(shape[0]);  // <= the file size / row_bytes: fits
  return e;
}

Inputs embeddings_from_npy(const Model& m, const std::string& path, uint32_t seq, const std::string& valid_spec) {
  return embeddings_from_npy(m, embeddings_file(path), seq, valid_spec);
}

Inputs embeddings_from_npy(const Model& m, const InputBytes& bytes, uint32_t seq, const std::string& valid_spec) {
  const NpyEmbeddings e = read_npy_header(m, bytes, seq);
  const std::string& path = bytes.name();
  Inputs in;
  in.seq = seq, in.batch = e.batch, in.from_tokens = false, in.origin = path;
  in.valid_len = parse_valid_lengths(valid_spec, seq, in.batch);
  const uint64_t n = uint64_t{e.batch} * seq * m.hidden;
  const unsigned width = e.f8 ? 8 : 4;
  in.embeddings.resize(n);
  constexpr uint64_t kChunk = 65536;  // elements converted at a time
  std::vector<char> chunk(width * std::min(n, kChunk));
  for (uint64_t i0 = 0; i0 < n; i0 += kChunk) {
    const uint64_t count = std::min(kChunk, n - i0);
    if (!bytes.read(e.data_offset + i0 * width, chunk.data(), count * width)) throw InputError(path + ": truncated data");
    for (uint64_t i = 0; i < count; ++i) {
      double v;
      if (e.f8) {
        std::memcpy(&v, &chunk[i * 8], 8);
      } else {
        float x;
        std::memcpy(&x, &chunk[i * 4], 4);
        v = x;
      }
      if (!std::isfinite(v)) {
        const uint64_t at = i0 + i, row = at / m.hidden;
        throw InputError(path + ": element [" + std::to_string(row / seq) + ", " + std::to_string(row % seq) + ", " +
                         std::to_string(at % m.hidden) + "] is " + (std::isnan(v) ? "NaN" : "infinite"));
      }
      in.embeddings[i0 + i] = fx::from_double(v);
      in.saturated += fx::from_double_saturates(v);
    }
  }
  return in;
}

}  // namespace acc::bert
