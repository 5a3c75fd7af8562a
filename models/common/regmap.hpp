// The models' view of platform/regmap.yaml. The tables are generated (regmap_table.cpp in the
// build tree); this header only declares their shape. Offsets, reset values and bit names used
// in C++ code come from the generated C header "acceltran_regs.h", the same one the firmware uses.
#pragma once

#include <cstddef>
#include <cstdint>

#include "acceltran_regs.h"

namespace acc::regmap {

enum class Access { RO, RW, W1C, WO, PORT };

struct RegisterDef {
  const char* name;
  uint32_t offset;
  Access access;
  uint32_t reset;            // used when reset_config is null
  const char* reset_config;  // configuration key whose value is the reset value, or null
  uint32_t write_mask;       // bits a write can change (RW) or clear (W1C)
  uint32_t defined_mask;     // bits a write may set (write_mask and write-only fields); others are reserved
  const char* description;
};

struct NamedCode {
  const char* name;
  uint32_t code;
  const char* description;
};

extern const RegisterDef kRegisters[];
extern const size_t kNumRegisters;
extern const NamedCode kOpcodes[];
extern const size_t kNumOpcodes;
extern const NamedCode kErrors[];
extern const size_t kNumErrors;
extern const NamedCode kTagClasses[];
extern const size_t kNumTagClasses;

// Name of an error code or opcode, "UNKNOWN" if the table has none.
const char* error_name(uint32_t code);
const char* opcode_name(uint32_t code);
const char* tag_class_name(uint32_t code);
const RegisterDef* find_register(uint32_t offset);

}  // namespace acc::regmap
