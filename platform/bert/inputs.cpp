#include "inputs.hpp"

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "fixed_point.hpp"
#include "job.hpp"

namespace acc::bert {

std::vector<uint32_t> parse_valid_lengths(const std::string& spec, uint32_t seq, uint32_t batch) {
  if (spec.empty()) return std::vector<uint32_t>(batch, seq);
  std::vector<uint32_t> v;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t pos = 0;
    unsigned long n = 0;
    try {
      n = std::stoul(item, &pos);
    } catch (...) {
      pos = 0;
    }
    if (pos == 0 || pos != item.size() || n == 0 || n > seq)
      throw InputError("--valid-len '" + item + "': each valid length must be within 1.." + std::to_string(seq));
    v.push_back(static_cast<uint32_t>(n));
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
      uint32_t id = 1000 + static_cast<uint32_t>(rng.next() % (m.vocab - 1000));
      if (t == 0) id = 101;                 // [CLS]
      if (t + 1 == valid[b] && t > 0) id = 102;  // [SEP]
      in.tokens[uint64_t{b} * seq + t] = id;
    }
  return in;
}

Inputs tokens_from_file(const Model& m, const std::string& path, uint32_t seq) {
  std::ifstream f(path);
  if (!f) throw InputError("cannot open token file '" + path + "'");
  Inputs in;
  in.seq = seq, in.origin = path;
  std::string line;
  uint32_t line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    for (char& c : line)
      if (c == ',') c = ' ';
    std::stringstream ss(line);
    std::vector<uint32_t> ids;
    std::string tok;
    while (ss >> tok) {
      size_t pos = 0;
      unsigned long id = 0;
      try {
        id = std::stoul(tok, &pos);
      } catch (...) {
        pos = 0;
      }
      if (pos != tok.size() || pos == 0) throw InputError(path + ":" + std::to_string(line_no) + ": '" + tok + "' is not a token id");
      if (id >= m.vocab)
        throw InputError(path + ":" + std::to_string(line_no) + ": token id " + tok + " is outside the vocabulary of " + std::to_string(m.vocab));
      ids.push_back(static_cast<uint32_t>(id));
    }
    if (ids.empty()) continue;
    if (ids.size() > seq)
      throw InputError(path + ":" + std::to_string(line_no) + ": " + std::to_string(ids.size()) + " tokens, more than --seq " +
                       std::to_string(seq));
    in.valid_len.push_back(static_cast<uint32_t>(ids.size()));  // the ids given are the valid tokens
    ids.resize(seq, 0);                                           // [PAD]
    in.tokens.insert(in.tokens.end(), ids.begin(), ids.end());
  }
  in.batch = static_cast<uint32_t>(in.valid_len.size());
  if (in.batch == 0) throw InputError(path + ": no sequences");
  return in;
}

Inputs embeddings_from_npy(const Model& m, const std::string& path, uint32_t seq, const std::string& valid_spec) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError("cannot open embeddings file '" + path + "'");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw InputError(path + ": not a .npy file");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint16_t n;
    f.read(reinterpret_cast<char*>(&n), 2);
    header_len = n;
  } else {
    f.read(reinterpret_cast<char*>(&header_len), 4);
  }
  std::string header(header_len, '\0');
  f.read(header.data(), header_len);
  std::smatch d, s;
  if (!std::regex_search(header, d, std::regex("'descr':\\s*'([<>|]?)(f4|f8)'")))
    throw InputError(path + ": embeddings must be float32 or float64 ('descr' '<f4' or '<f8')");
  if (d[1] == ">") throw InputError(path + ": big-endian arrays are not supported");
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True"))) throw InputError(path + ": Fortran-order arrays are not supported");
  if (!std::regex_search(header, s, std::regex("'shape':\\s*\\(([0-9,\\s]*)\\)"))) throw InputError(path + ": no shape in the header");
  std::vector<uint64_t> shape;
  std::stringstream ss(s[1].str());
  std::string dim;
  while (std::getline(ss, dim, ','))
    if (dim.find_first_not_of(" ") != std::string::npos) shape.push_back(std::stoull(dim));
  if (shape.size() == 2) shape.insert(shape.begin(), 1);
  if (shape.size() != 3 || shape[1] != seq || shape[2] != m.hidden)
    throw InputError(path + ": embeddings must be [batch, " + std::to_string(seq) + ", " + std::to_string(m.hidden) + "] (--seq, hidden)");
  Inputs in;
  in.seq = seq, in.batch = static_cast<uint32_t>(shape[0]), in.from_tokens = false, in.origin = path;
  in.valid_len = parse_valid_lengths(valid_spec, seq, in.batch);
  const uint64_t n = shape[0] * shape[1] * shape[2];
  const bool f8 = d[2] == "f8";
  std::vector<char> raw(n * (f8 ? 8 : 4));
  if (!f.read(raw.data(), static_cast<std::streamsize>(raw.size()))) throw InputError(path + ": truncated data");
  in.embeddings.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    double v;
    if (f8) {
      std::memcpy(&v, &raw[i * 8], 8);
    } else {
      float x;
      std::memcpy(&x, &raw[i * 4], 4);
      v = x;
    }
    in.embeddings[i] = fx::from_double(v);
  }
  return in;
}

}  // namespace acc::bert
