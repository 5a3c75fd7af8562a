// regmap_gen: turns platform/regmap.yaml (the one source of truth of the hardware/software
// interface) into the firmware's C header, the models' register tables and docs/registers.md.
//
//   regmap_gen REGMAP.yaml OUT_HEADER.h OUT_TABLE.cpp OUT_DOC.md
//
// Any inconsistency in the YAML (duplicate offset or name, misaligned offset, a reset value
// outside the write mask of a RW register, an unknown access type) is an error: exit code 1.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct FieldValue {
  std::string name, description;
  uint32_t value = 0;
};

struct Field {
  std::string name, description, access;
  unsigned hi = 0, lo = 0;
  std::vector<FieldValue> values;  // an enumerated field's encodings, 0..N-1
};

struct Register {
  std::string name, access, description, reset_config;
  uint32_t offset = 0, reset = 0, mask = 0xFFFFFFFFu;
  std::vector<Field> fields;
};

// A flag bit, or a multi-bit field of word 0 (`bits: [hi, lo]`: the per-tensor formats' scales).
struct Flag {
  std::string name, description;
  unsigned bit = 0, hi = 0;  // bits hi..bit; hi == bit for a flag
  bool field() const { return hi != bit; }
  uint32_t mask() const { return static_cast<uint32_t>(((uint64_t{1} << (hi - bit + 1)) - 1) << bit); }
};

struct Opcode {
  std::string name, description;
  uint32_t code = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // name, description
  std::vector<Flag> flags;
};

struct Named {
  std::string name, description;
  uint64_t code = 0, size = 0;
};

[[noreturn]] void fail(const std::string& msg) { throw std::runtime_error(msg); }

std::string hex(uint64_t v, int width = 8) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llX", width, static_cast<unsigned long long>(v));
  return buf;
}

std::string c_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

template <typename T>
T req(const YAML::Node& n, const char* key, const std::string& where) {
  if (!n[key]) fail(where + ": missing key '" + key + "'");
  try {
    return n[key].as<T>();
  } catch (const YAML::Exception&) {
    fail(where + ": key '" + key + "' has the wrong type");
  }
}

// "; 0 NAME: meaning, 1 ...; other values are reserved" for an enumerated field.
std::string values_text(const Field& f) {
  std::string t;
  for (const auto& v : f.values) t += (t.empty() ? ": " : ", ") + std::to_string(v.value) + " " + v.name + " (" + v.description + ")";
  return t.empty() ? t : t + "; other values are reserved (BAD_CONFIG)";
}

std::string opt(const YAML::Node& n, const char* key) { return n[key] ? n[key].as<std::string>() : ""; }

struct TagField {
  std::string name, description;
  unsigned hi = 0, lo = 0;
};

struct RegMap {
  std::string device_name;
  uint32_t device_id = 0, version = 0;
  std::vector<Named> address_map;
  std::vector<Register> registers;
  unsigned descriptor_words = 0;
  std::string ordering;  // how the control block orders descriptors (prose for the docs)
  std::vector<Named> buffers;
  std::vector<Opcode> opcodes;
  std::vector<std::pair<std::string, std::string>> trailer;  // fields at the end of every descriptor
  std::vector<Named> errors;
  std::vector<TagField> tag_fields;
  std::vector<Named> tag_classes;
};

RegMap parse(const std::string& path) {
  YAML::Node root = YAML::LoadFile(path);
  RegMap m;
  m.device_name = req<std::string>(root["device"], "name", "device");
  m.device_id = req<uint32_t>(root["device"], "id", "device");
  m.version = req<uint32_t>(root["device"], "version", "device");

  for (const auto& r : root["address_map"]) {
    Named a{req<std::string>(r, "name", "address_map"), opt(r, "description"), req<uint64_t>(r, "base", "address_map"),
            req<uint64_t>(r, "size", "address_map")};
    m.address_map.push_back(a);
  }
  for (size_t i = 0; i < m.address_map.size(); ++i)
    for (size_t j = i + 1; j < m.address_map.size(); ++j) {
      const auto &a = m.address_map[i], &b = m.address_map[j];
      if (a.code < b.code + b.size && b.code < a.code + a.size)
        fail("address_map: " + a.name + " overlaps " + b.name);
    }

  std::set<std::string> names;
  std::set<uint32_t> offsets;
  for (const auto& r : root["registers"]) {
    Register reg;
    reg.name = req<std::string>(r, "name", "register");
    const std::string where = "register " + reg.name;
    reg.offset = req<uint32_t>(r, "offset", where);
    reg.access = req<std::string>(r, "access", where);
    reg.description = opt(r, "description");
    if (r["mask"]) reg.mask = r["mask"].as<uint32_t>();
    if (!r["reset"]) fail(where + ": missing reset");
    if (r["reset"].IsMap()) {
      reg.reset_config = req<std::string>(r["reset"], "config", where + " reset");
      if (reg.access != "ro") fail(where + ": a configuration reset value needs access ro");
    } else {
      reg.reset = r["reset"].as<uint32_t>();
    }
    if (reg.access != "ro" && reg.access != "rw" && reg.access != "w1c" && reg.access != "wo" && reg.access != "port")
      fail(where + ": unknown access '" + reg.access + "'");
    if (reg.offset % 4) fail(where + ": offset not 4-byte aligned");
    if (!names.insert(reg.name).second) fail(where + ": duplicate name");
    if (!offsets.insert(reg.offset).second) fail(where + ": duplicate offset " + hex(reg.offset, 3));
    if (reg.access == "rw" && (reg.reset & ~reg.mask)) fail(where + ": reset value has bits outside the write mask");
    for (const auto& f : r["fields"]) {
      Field fd;
      fd.name = req<std::string>(f, "name", where + " field");
      fd.description = opt(f, "description");
      fd.access = opt(f, "access");
      if (f["bits"].IsSequence()) {
        fd.hi = f["bits"][0].as<unsigned>();
        fd.lo = f["bits"][1].as<unsigned>();
      } else {
        fd.hi = fd.lo = req<unsigned>(f, "bits", where + " field " + fd.name);
      }
      if (fd.hi < fd.lo || fd.hi > 31) fail(where + " field " + fd.name + ": bad bit range");
      for (const auto& v : f["values"]) {
        FieldValue fv{req<std::string>(v, "name", where + " field " + fd.name + " value"), opt(v, "description"),
                      req<uint32_t>(v, "value", where + " field " + fd.name + " value")};
        // Contiguous from 0, so that firmware and models can check a field with one compare (< _COUNT).
        if (fv.value != fd.values.size()) fail(where + " field " + fd.name + ": values must be 0, 1, 2, ... in order");
        if (fd.hi - fd.lo < 31 && fv.value >> (fd.hi - fd.lo + 1)) fail(where + " field " + fd.name + ": value " + fv.name + " does not fit");
        fd.values.push_back(fv);
      }
      reg.fields.push_back(fd);
    }
    m.registers.push_back(reg);
  }

  const YAML::Node d = root["descriptor"];
  m.descriptor_words = req<unsigned>(d, "words", "descriptor");
  m.ordering = opt(d, "ordering");
  for (const auto& b : d["buffers"])
    m.buffers.push_back({req<std::string>(b, "name", "buffer"), "", req<uint32_t>(b, "code", "buffer"), 0});
  for (const auto& f : d["trailer"]) m.trailer.emplace_back(req<std::string>(f, "name", "trailer field"), opt(f, "description"));
  std::set<uint32_t> codes;
  for (const auto& o : d["opcodes"]) {
    Opcode op;
    op.name = req<std::string>(o, "name", "opcode");
    op.code = req<uint32_t>(o, "code", "opcode " + op.name);
    op.description = opt(o, "description");
    if (op.code > 0xFF) fail("opcode " + op.name + ": code above 0xFF");
    if (!codes.insert(op.code).second) fail("opcode " + op.name + ": duplicate code");
    for (const auto& f : o["fields"]) op.fields.emplace_back(req<std::string>(f, "name", "opcode field"), opt(f, "description"));
    if (op.fields.size() + 1 + m.trailer.size() > m.descriptor_words) fail("opcode " + op.name + ": too many fields");
    for (const auto& f : o["flags"]) {
      Flag fl{req<std::string>(f, "name", "flag"), opt(f, "description")};
      if (f["bits"] && f["bits"].IsSequence() && f["bits"].size() == 2) {
        fl.hi = f["bits"][0].as<unsigned>();
        fl.bit = f["bits"][1].as<unsigned>();
      } else {
        fl.bit = fl.hi = req<unsigned>(f, "bit", "flag");
      }
      if (fl.bit < 8 || fl.hi > 31 || fl.hi < fl.bit) fail("opcode " + op.name + " flag " + fl.name + ": bits must be within 8..31");
      for (const Flag& other : op.flags)
        if (other.mask() & fl.mask()) fail("opcode " + op.name + " flag " + fl.name + ": overlaps " + other.name);
      op.flags.push_back(fl);
    }
    m.opcodes.push_back(op);
  }
  for (const auto& e : root["errors"])
    m.errors.push_back({req<std::string>(e, "name", "error"), opt(e, "description"), req<uint32_t>(e, "code", "error"), 0});
  for (const auto& f : root["tag_fields"]) {
    TagField t{req<std::string>(f, "name", "tag field"), opt(f, "description")};
    t.hi = f["bits"][0].as<unsigned>();
    t.lo = f["bits"][1].as<unsigned>();
    if (t.hi < t.lo || t.hi > 31) fail("tag field " + t.name + ": bad bit range");
    m.tag_fields.push_back(t);
  }
  for (const auto& c : root["tag_classes"])
    m.tag_classes.push_back({req<std::string>(c, "name", "tag class"), opt(c, "description"), req<uint32_t>(c, "code", "tag class"), 0});
  return m;
}

std::string gen_header(const RegMap& m) {
  std::ostringstream o;
  o << "/* Generated from platform/regmap.yaml by tools/regmap/regmap_gen. Do not edit. */\n"
       "#ifndef ACCELTRAN_REGS_H\n#define ACCELTRAN_REGS_H\n\n#include <stdint.h>\n\n";
  o << "#define ACC_DEVICE_ID " << hex(m.device_id) << "u\n";
  o << "#define ACC_DEVICE_VERSION " << hex(m.version) << "u\n\n/* Address map */\n";
  for (const auto& a : m.address_map) {
    o << "#define ACC_MAP_" << a.name << "_BASE " << hex(a.code) << "u\n";
    o << "#define ACC_MAP_" << a.name << "_SIZE " << hex(a.size) << "u\n";
  }
  o << "\n/* Control block registers (offsets from ACC_MAP_ACC_REGS_BASE) */\n";
  for (const auto& r : m.registers) {
    o << "#define ACC_REG_" << r.name << " " << hex(r.offset, 3) << "u  /* " << r.access << ": " << r.description << " */\n";
    for (const auto& f : r.fields) {
      const unsigned width = f.hi - f.lo + 1;
      const uint32_t mask = (width == 32 ? 0xFFFFFFFFu : ((1u << width) - 1u)) << f.lo;
      o << "#define ACC_" << r.name << "_" << f.name << " " << hex(mask) << "u\n";
      if (width > 1) o << "#define ACC_" << r.name << "_" << f.name << "_SHIFT " << f.lo << "u\n";
      for (const auto& v : f.values)
        o << "#define ACC_" << r.name << "_" << f.name << "_" << v.name << " " << v.value << "u  /* " << v.description << " */\n";
      if (!f.values.empty()) o << "#define ACC_" << r.name << "_" << f.name << "_COUNT " << f.values.size() << "u  /* the values above; the rest are reserved */\n";
    }
  }
  o << "\n/* Descriptor buffers */\n";
  for (const auto& b : m.buffers) o << "#define ACC_BUF_" << b.name << " " << b.code << "u\n";
  o << "\n/* Descriptors: " << m.descriptor_words << " 32-bit words; word 0 = opcode[7:0] | flags[31:8] */\n";
  o << "#define ACC_DESC_WORDS " << m.descriptor_words << "u\n#define ACC_DESC_BYTES " << m.descriptor_words * 4 << "u\n";
  o << "#define ACC_DESC_OPCODE_MASK 0xFFu\n\n";
  for (const auto& op : m.opcodes) {
    o << "#define ACC_OP_" << op.name << " " << hex(op.code, 2) << "u  /* " << op.description << " */\n";
    uint32_t valid = 0;
    for (const auto& f : op.flags) {
      if (f.field()) {
        o << "#define ACC_" << op.name << "_" << f.name << "_SHIFT " << f.bit << "u  /* " << f.description << " */\n";
        o << "#define ACC_" << op.name << "_" << f.name << "_MASK " << hex(f.mask()) << "u\n";
      } else {
        o << "#define ACC_" << op.name << "_" << f.name << " (1u << " << f.bit << ")  /* " << f.description << " */\n";
      }
      valid |= f.mask();
    }
    o << "#define ACC_" << op.name << "_VALID_FLAGS " << hex(valid) << "u\n";
  }
  o << "\n";
  for (const auto& op : m.opcodes) {
    std::string lname = op.name;
    for (auto& c : lname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    o << "typedef struct acc_desc_" << lname << " {\n  uint32_t header;\n";
    for (const auto& [f, desc] : op.fields) o << "  uint32_t " << f << ";  /* " << desc << " */\n";
    const size_t pad = m.descriptor_words - 1 - op.fields.size() - m.trailer.size();
    if (pad) o << "  uint32_t reserved[" << pad << "];\n";
    for (const auto& [f, desc] : m.trailer) o << "  uint32_t " << f << ";  /* " << desc << " */\n";
    o << "} acc_desc_" << lname << "_t;\n\n";
  }
  o << "typedef union acc_desc {\n  uint32_t w[" << m.descriptor_words << "];\n";
  for (const auto& op : m.opcodes) {
    std::string lname = op.name;
    for (auto& c : lname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    o << "  acc_desc_" << lname << "_t " << lname << ";\n";
  }
  o << "} acc_desc_t;\n\n";
  o << "#ifdef __cplusplus\nstatic_assert(sizeof(acc_desc_t) == " << m.descriptor_words * 4 << ", \"descriptor size\");\n"
    << "#else\n_Static_assert(sizeof(acc_desc_t) == " << m.descriptor_words * 4 << ", \"descriptor size\");\n#endif\n\n";
  o << "/* Error codes (ERR_CODE) */\n";
  for (const auto& e : m.errors) o << "#define ACC_ERR_" << e.name << " " << hex(e.code, 2) << "u  /* " << e.description << " */\n";
  if (!m.tag_fields.empty()) {
    o << "\n/* Trace tag (last descriptor word) */\n";
    for (const auto& f : m.tag_fields) {
      const unsigned width = f.hi - f.lo + 1;
      o << "#define ACC_TAG_" << f.name << "_SHIFT " << f.lo << "u\n#define ACC_TAG_" << f.name << "_MAX " << hex((1ull << width) - 1, 1)
        << "u  /* " << f.description << " */\n";
    }
    for (const auto& c : m.tag_classes) o << "#define ACC_TAG_" << c.name << " " << c.code << "u  /* " << c.description << " */\n";
    o << "static inline uint32_t acc_tag(";
    for (size_t i = 0; i < m.tag_fields.size(); ++i) {
      std::string p = m.tag_fields[i].name;
      for (auto& ch : p) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      o << (i ? ", " : "") << "uint32_t " << p << "_";
    }
    o << ") {\n  return ";
    for (size_t i = 0; i < m.tag_fields.size(); ++i) {
      std::string p = m.tag_fields[i].name;
      for (auto& ch : p) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      o << (i ? " |\n         " : "") << "((" << p << "_ & ACC_TAG_" << m.tag_fields[i].name << "_MAX) << ACC_TAG_" << m.tag_fields[i].name
        << "_SHIFT)";
    }
    o << ";\n}\n";
  }
  o << "\n#endif /* ACCELTRAN_REGS_H */\n";
  return o.str();
}

std::string gen_table(const RegMap& m) {
  std::ostringstream o;
  o << "// Generated from platform/regmap.yaml by tools/regmap/regmap_gen. Do not edit.\n"
       "#include \"regmap.hpp\"\n\nnamespace acc::regmap {\n\nconst RegisterDef kRegisters[] = {\n";
  for (const auto& r : m.registers) {
    const char* acc = r.access == "ro"    ? "Access::RO"
                      : r.access == "rw"  ? "Access::RW"
                      : r.access == "w1c" ? "Access::W1C"
                      : r.access == "wo"  ? "Access::WO"
                                          : "Access::PORT";
    // Bits a write may set: the write mask and the write-only fields (CTRL.QUEUE_RESET); the rest
    // of a written value is reserved (counted as register misuse).
    uint32_t defined = r.access == "ro" ? 0u : r.mask;
    for (const auto& f : r.fields)
      if (f.access == "wo") defined |= (f.hi - f.lo == 31 ? 0xFFFFFFFFu : ((1u << (f.hi - f.lo + 1)) - 1u)) << f.lo;
    o << "    {\"" << r.name << "\", " << hex(r.offset, 3) << "u, " << acc << ", " << hex(r.reset) << "u, "
      << (r.reset_config.empty() ? "nullptr" : "\"" + r.reset_config + "\"") << ", "
      << hex(r.access == "ro" ? 0u : r.mask) << "u, " << hex(defined) << "u, \"" << c_escape(r.description) << "\"},\n";
  }
  o << "};\nconst size_t kNumRegisters = sizeof(kRegisters) / sizeof(kRegisters[0]);\n\n";
  o << "const NamedCode kOpcodes[] = {\n";
  for (const auto& op : m.opcodes) o << "    {\"" << op.name << "\", " << hex(op.code, 2) << "u, \"" << c_escape(op.description) << "\"},\n";
  o << "};\nconst size_t kNumOpcodes = sizeof(kOpcodes) / sizeof(kOpcodes[0]);\n\n";
  o << "const NamedCode kTagClasses[] = {\n";
  for (const auto& c : m.tag_classes) o << "    {\"" << c.name << "\", " << c.code << "u, \"" << c_escape(c.description) << "\"},\n";
  o << "};\nconst size_t kNumTagClasses = sizeof(kTagClasses) / sizeof(kTagClasses[0]);\n\n";
  o << "const NamedCode kErrors[] = {\n";
  for (const auto& e : m.errors) o << "    {\"" << e.name << "\", " << hex(e.code, 2) << "u, \"" << c_escape(e.description) << "\"},\n";
  o << "};\nconst size_t kNumErrors = sizeof(kErrors) / sizeof(kErrors[0]);\n\n";
  o << R"(static const char* lookup(const NamedCode* t, size_t n, uint32_t code) {
  for (size_t i = 0; i < n; ++i)
    if (t[i].code == code) return t[i].name;
  return "UNKNOWN";
}
const char* error_name(uint32_t code) { return lookup(kErrors, kNumErrors, code); }
const char* opcode_name(uint32_t code) { return lookup(kOpcodes, kNumOpcodes, code); }
const char* tag_class_name(uint32_t code) { return lookup(kTagClasses, kNumTagClasses, code); }
const RegisterDef* find_register(uint32_t offset) {
  for (size_t i = 0; i < kNumRegisters; ++i)
    if (kRegisters[i].offset == offset) return &kRegisters[i];
  return nullptr;
}

}  // namespace acc::regmap
)";
  return o.str();
}

std::string gen_doc(const RegMap& m) {
  std::ostringstream o;
  o << "# Register map\n\n<!-- Generated from platform/regmap.yaml by tools/regmap/regmap_gen; a test fails if this copy drifts.\n"
       "     Re-generate with: cmake --build build --target regmap-doc -->\n\n";
  o << "Device `" << m.device_name << "`, ID " << hex(m.device_id) << ", interface version " << (m.version >> 16) << "."
    << (m.version & 0xFFFF) << ". All registers are 32 bits wide and accept only aligned 32-bit accesses; any other "
    << "access, or one to an offset not listed here, gets a TLM address error response.\n\n";
  o << "Access: `ro` read-only (writes ignored), `rw` read/write (bits outside the mask read as 0), `w1c` write 1 to clear, "
    << "`wo` write-only (reads as 0), `port` a window onto the table entry an index register selects (reads return the entry, writes go to the table). A reset value `config: KEY` is the hardware configuration value KEY.\n\n"
    << "Register misuse is answered OK, as the access rules say, and made visible: a write to a `ro` register, and a write "
    << "that sets bits outside a register's write mask and its write-only fields (reserved bits), are counted "
    << "(`control.registers.read_only_writes`, `control.registers.reserved_bit_writes`) and marked in the MMIO trace (`--trace-mmio`).\n\n";
  o << "## Address map\n\n| region | base | size | description |\n|---|---|---|---|\n";
  for (const auto& a : m.address_map)
    o << "| " << a.name << " | `" << hex(a.code) << "` | `" << hex(a.size) << "` | " << md_escape(a.description) << " |\n";
  o << "\n## Control block registers (offsets from ACC_REGS)\n\n| offset | name | access | reset | write mask | description |\n"
       "|---|---|---|---|---|---|\n";
  for (const auto& r : m.registers) {
    o << "| `" << hex(r.offset, 3) << "` | " << r.name << " | " << r.access << " | "
      << (r.reset_config.empty() ? "`" + hex(r.reset) + "`" : "config: `" + r.reset_config + "`") << " | "
      << (r.access == "ro" ? std::string("-") : "`" + hex(r.mask) + "`") << " | " << md_escape(r.description) << " |\n";
  }
  o << "\n### Bit fields\n\n| register | field | bits | description |\n|---|---|---|---|\n";
  for (const auto& r : m.registers)
    for (const auto& f : r.fields)
      o << "| " << r.name << " | " << f.name << (f.access.empty() ? "" : " (" + f.access + ")") << " | "
        << (f.hi == f.lo ? std::to_string(f.lo) : std::to_string(f.hi) + ":" + std::to_string(f.lo)) << " | "
        << md_escape(f.description + values_text(f)) << " |\n";
  o << "\n## Command descriptors\n\n" << m.descriptor_words << " little-endian 32-bit words (" << m.descriptor_words * 4
    << " bytes) in the ring at QUEUE_BASE. Word 0: opcode in bits 7:0, flags in bits 31:8; undefined flag bits are an "
       "error. Unused words are ignored.\n\nBuffers: ";
  for (size_t i = 0; i < m.buffers.size(); ++i)
    o << (i ? ", " : "") << "`" << m.buffers[i].code << "` = " << m.buffers[i].name;
  o << ".\n\n";
  if (!m.trailer.empty()) {
    o << "The last " << (m.trailer.size() == 1 ? "word" : std::to_string(m.trailer.size()) + " words") << " of every descriptor:\n\n"
      << "| word | field | meaning |\n|---|---|---|\n";
    for (size_t i = 0; i < m.trailer.size(); ++i)
      o << "| " << m.descriptor_words - m.trailer.size() + i << " | " << m.trailer[i].first << " | " << md_escape(m.trailer[i].second)
        << " |\n";
    o << "\n";
  }
  if (!m.ordering.empty()) o << "### Ordering\n\n" << m.ordering << "\n\n";
  for (const auto& op : m.opcodes) {
    o << "### " << op.name << " (`" << hex(op.code, 2) << "`)\n\n" << op.description << ".\n\n";
    if (!op.fields.empty()) {
      o << "| word | field | meaning |\n|---|---|---|\n";
      for (size_t i = 0; i < op.fields.size(); ++i)
        o << "| " << i + 1 << " | " << op.fields[i].first << " | " << md_escape(op.fields[i].second) << " |\n";
      o << "\n";
    }
    if (!op.flags.empty()) {
      o << "| flag bit | name | meaning |\n|---|---|---|\n";
      for (const auto& f : op.flags)
        o << "| " << (f.field() ? std::to_string(f.hi) + ":" + std::to_string(f.bit) : std::to_string(f.bit)) << " | " << f.name << " | "
          << md_escape(f.description) << " |\n";
      o << "\n";
    }
  }
  o << "## Error codes\n\n| code | name | meaning |\n|---|---|---|\n";
  for (const auto& e : m.errors) o << "| `" << hex(e.code, 2) << "` | " << e.name << " | " << md_escape(e.description) << " |\n";
  if (!m.tag_fields.empty()) {
    o << "\n## Trace tag\n\nThe last word of every descriptor. The hardware's function ignores it; the VP attributes cycles, "
         "energy, traffic and sparsity by layer and tensor class with it.\n\n| bits | field | meaning |\n|---|---|---|\n";
    for (const auto& f : m.tag_fields)
      o << "| " << f.hi << ":" << f.lo << " | " << f.name << " | " << md_escape(f.description) << " |\n";
    o << "\n| class | name | meaning |\n|---|---|---|\n";
    for (const auto& c : m.tag_classes) o << "| " << c.code << " | " << c.name << " | " << md_escape(c.description) << " |\n";
  }
  return o.str();
}

void write_if_changed(const std::string& path, const std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str() == text) return;  // keep the timestamp: nothing downstream rebuilds
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) fail("cannot write " + path);
  out << text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: regmap_gen REGMAP.yaml OUT_HEADER.h OUT_TABLE.cpp OUT_DOC.md\n";
    return 2;
  }
  try {
    const RegMap m = parse(argv[1]);
    write_if_changed(argv[2], gen_header(m));
    write_if_changed(argv[3], gen_table(m));
    write_if_changed(argv[4], gen_doc(m));
  } catch (const std::exception& e) {
    std::cerr << "regmap_gen: " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
