// The control block's descriptor validation: every error code the hardware can raise at decode.
#include <gtest/gtest.h>

#include "control_block.hpp"
#include "vp_test.hpp"

using namespace acc;

namespace {

class Validate : public ::testing::Test {
 protected:
  HwConfig cfg = load_hw_config("edge");
  Clock clock{700e6};
  ControlBlock cb{"control", cfg, clock};
  uint32_t info = 0;

  uint32_t check(const acc_desc_t& d) { return cb.validate(d, info); }

  static acc_desc_t load(uint32_t buf, uint32_t buf_addr, uint32_t rows, uint32_t cols, uint32_t dram) {
    acc_desc_t d{};
    d.load = {ACC_OP_LOAD, dram, 4 * cols, rows, cols, buf, buf_addr, cols, {}, 0};
    return d;
  }
  static acc_desc_t matmul(uint32_t m, uint32_t k, uint32_t n) {
    acc_desc_t d{};
    // A at 0, C after A in the activation buffer; B at 0 in the weight buffer.
    d.matmul = {ACC_OP_MATMUL, m, k, n, ACC_BUF_ACT, 0, k, ACC_BUF_WGT, 0, n, ACC_BUF_ACT, m * k, n, 0, 0, 0};
    return d;
  }
};

}  // namespace

TEST_F(Validate, WellFormedDescriptorsPass) {
  EXPECT_EQ(check(load(ACC_BUF_ACT, 0, 16, 16, ACC_MAP_DRAM_BASE)), ACC_ERR_NONE);
  EXPECT_EQ(check(matmul(16, 16, 16)), ACC_ERR_NONE);
  acc_desc_t fence{};
  fence.w[0] = ACC_OP_FENCE;
  EXPECT_EQ(check(fence), ACC_ERR_NONE);
  acc_desc_t nop{};
  EXPECT_EQ(check(nop), ACC_ERR_NONE);
}

TEST_F(Validate, UnknownOpcode) {
  acc_desc_t d{};
  d.w[0] = 0x7E;
  EXPECT_EQ(check(d), ACC_ERR_BAD_OPCODE);
  EXPECT_EQ(info, 0x7Eu);
}

TEST_F(Validate, UndefinedFlags) {
  acc_desc_t d = matmul(16, 16, 16);
  d.w[0] |= 1u << 13;
  EXPECT_EQ(check(d), ACC_ERR_BAD_FLAGS);
  acc_desc_t l = load(ACC_BUF_ACT, 0, 1, 1, ACC_MAP_DRAM_BASE);
  l.w[0] |= ACC_MATMUL_TRANSPOSE_B;  // a MATMUL flag is not a LOAD flag
  EXPECT_EQ(check(l), ACC_ERR_BAD_FLAGS);
}

TEST_F(Validate, BadShapes) {
  EXPECT_EQ(check(load(ACC_BUF_ACT, 0, 0, 16, ACC_MAP_DRAM_BASE)), ACC_ERR_BAD_SHAPE);
  EXPECT_EQ(check(matmul(16, 0, 16)), ACC_ERR_BAD_SHAPE);
  EXPECT_EQ(check(matmul(16, cfg.max_k + 1, 16)), ACC_ERR_BAD_SHAPE);
  EXPECT_EQ(info, cfg.max_k + 1);
  acc_desc_t d = load(ACC_BUF_ACT, 0, 4, 16, ACC_MAP_DRAM_BASE);
  d.load.buf_stride = 8;  // rows would overlap each other
  EXPECT_EQ(check(d), ACC_ERR_BAD_SHAPE);
}

TEST_F(Validate, UnknownBuffer) {
  EXPECT_EQ(check(load(7, 0, 1, 1, ACC_MAP_DRAM_BASE)), ACC_ERR_BAD_BUFFER);
  EXPECT_EQ(info, 7u);
}

TEST_F(Validate, TilesThatOverflowABuffer) {
  const uint32_t words = static_cast<uint32_t>(cfg.act_buffer_words());
  EXPECT_EQ(check(load(ACC_BUF_ACT, words - 256, 16, 16, ACC_MAP_DRAM_BASE)), ACC_ERR_NONE);
  EXPECT_EQ(check(load(ACC_BUF_ACT, words - 255, 16, 16, ACC_MAP_DRAM_BASE)), ACC_ERR_BUFFER_OVERFLOW);
  EXPECT_EQ(info, words);  // the first word past the end
  acc_desc_t d = matmul(16, 16, 16);
  d.matmul.b_addr = static_cast<uint32_t>(cfg.weight_buffer_words()) - 100;
  EXPECT_EQ(check(d), ACC_ERR_BUFFER_OVERFLOW);
}

TEST_F(Validate, DramOutsidePopulatedMemoryOrMisaligned) {
  EXPECT_EQ(check(load(ACC_BUF_ACT, 0, 1, 16, 0x10000000)), ACC_ERR_DRAM_RANGE);  // the register window
  const uint32_t end = static_cast<uint32_t>(ACC_MAP_DRAM_BASE + cfg.dram_bytes());
  EXPECT_EQ(check(load(ACC_BUF_ACT, 0, 1, 16, end - 64)), ACC_ERR_NONE);
  EXPECT_EQ(check(load(ACC_BUF_ACT, 0, 1, 16, end - 60)), ACC_ERR_DRAM_RANGE);
  EXPECT_EQ(check(load(ACC_BUF_ACT, 0, 1, 16, ACC_MAP_DRAM_BASE + 2)), ACC_ERR_DRAM_RANGE);
}

TEST_F(Validate, OutputOverlappingAnInput) {
  acc_desc_t d = matmul(16, 16, 16);
  d.matmul.c_addr = 200;  // inside A (words 0..255)
  EXPECT_EQ(check(d), ACC_ERR_OPERAND_OVERLAP);
  d.matmul.c_buf = ACC_BUF_WGT;
  d.matmul.c_addr = 255;  // inside B
  EXPECT_EQ(check(d), ACC_ERR_OPERAND_OVERLAP);
}

TEST_F(Validate, SumsOfDescriptorFieldsDoNotWrap) {
  // LeOPArd per head reads thresholds th_index .. th_index + heads - 1 of a 256-entry table: an
  // index near 2^32 must not wrap back into the table.
  acc_desc_t sc{};
  sc.score = {ACC_OP_SCORE | ACC_SCORE_LEOPARD | ACC_SCORE_LEOPARD_PER_HEAD, 16, 16, 2, 16, ACC_BUF_ACT, 0, 32, ACC_BUF_ACT, 1024,
              32, ACC_BUF_ACT, 2048, 16, 0, 0};
  EXPECT_EQ(check(sc), ACC_ERR_NONE);
  for (uint32_t index : {0xFFFFFFFFu, 0xFFFFFFFEu, 255u}) {
    sc.score.th_index = index;
    EXPECT_EQ(check(sc), ACC_ERR_BAD_SHAPE) << index;
    EXPECT_EQ(info, index);
  }
  sc.score.th_index = 254;  // entries 254 and 255
  EXPECT_EQ(check(sc), ACC_ERR_NONE);
  sc.w[0] = ACC_OP_SCORE | ACC_SCORE_LEOPARD;  // one entry for every head
  sc.score.th_index = 0xFFFFFFFFu;
  EXPECT_EQ(check(sc), ACC_ERR_BAD_SHAPE);
  // The largest extents the fields can describe: the last word is past the buffer, not wrapped.
  acc_desc_t l = load(ACC_BUF_ACT, 0xFFFFFFFFu, 0xFFFFFFFFu, 1, ACC_MAP_DRAM_BASE);
  l.load.buf_stride = 0xFFFFFFFFu;
  EXPECT_EQ(check(l), ACC_ERR_BUFFER_OVERFLOW);
}

TEST_F(Validate, CausalSoftmaxNeedsNoMoreRowsThanColumns) {
  acc_desc_t d{};
  d.softmax.header = ACC_OP_SOFTMAX | ACC_SOFTMAX_CAUSAL;
  d.softmax.rows = 4, d.softmax.cols = 8, d.softmax.valid_cols = 8;
  d.softmax.in_stride = d.softmax.out_stride = 8;
  d.softmax.scale = 1u << 16;
  EXPECT_EQ(check(d), ACC_ERR_NONE);  // the last 4 of 8 positions; in place
  d.softmax.rows = 9, d.softmax.cols = 8, d.softmax.valid_cols = 8;  // a row before the first column
  EXPECT_EQ(check(d), ACC_ERR_BAD_SHAPE);
  EXPECT_EQ(info, 9u);
  d.softmax.header = ACC_OP_SOFTMAX;  // without CAUSAL any number of rows is fine
  EXPECT_EQ(check(d), ACC_ERR_NONE);
}

// The per-tensor formats' scale fields in word 0: BAD_CONFIG when they are set in a qM.N format,
// out of range in int8/int16 (L = 2w - 2 fraction bits), or on a SCORE (the pruning units compute in
// qM.N only); ERR_INFO is word 0.
TEST_F(Validate, ScaleFieldsFollowTheNumberFormat) {
  acc_desc_t d = matmul(16, 16, 16);
  d.w[0] |= 3u << ACC_MATMUL_OUT_SHIFT_SHIFT;
  EXPECT_EQ(check(d), ACC_ERR_BAD_CONFIG);  // Q4.16: no scale fields
  EXPECT_EQ(info, d.w[0]);
  struct Restore {
    ~Restore() { fx::set_format(fx::kQ4_16); }
  } restore;
  fx::set_format(fx::Format::parse("int8"));
  EXPECT_EQ(check(d), ACC_ERR_NONE);
  acc_desc_t far = matmul(16, 16, 16);
  far.w[0] |= 29u << ACC_MATMUL_OUT_SHIFT_SHIFT;  // above 2L = 28
  EXPECT_EQ(check(far), ACC_ERR_BAD_CONFIG);
  EXPECT_EQ(info, far.w[0]);
  acc_desc_t frac = matmul(16, 16, 16);
  frac.w[0] |= 15u << ACC_MATMUL_OUT_FRAC_SHIFT;  // above L = 14
  EXPECT_EQ(check(frac), ACC_ERR_BAD_CONFIG);
  fx::set_format(fx::Format::parse("int16"));
  EXPECT_EQ(check(frac), ACC_ERR_NONE);  // L = 30
  acc_desc_t add{};
  add.add = {ACC_OP_ADD | (31u << ACC_ADD_C_FRAC_SHIFT), 4, 4, ACC_BUF_ACT, 0, 4, ACC_BUF_ACT, 16, 4, ACC_BUF_ACT, 32, 4, {}, 0};
  EXPECT_EQ(check(add), ACC_ERR_BAD_CONFIG);
  add.add.header = ACC_OP_ADD | (30u << ACC_ADD_C_FRAC_SHIFT);
  EXPECT_EQ(check(add), ACC_ERR_NONE);
  acc_desc_t ln{};
  ln.layernorm = {ACC_OP_LAYERNORM | (20u << ACC_LAYERNORM_OUT_FRAC_SHIFT) | (3u << ACC_LAYERNORM_GAMMA_FRAC_SHIFT), 4, 4, ACC_BUF_ACT, 0, 4,
                  ACC_BUF_ACT, 0, 4, ACC_BUF_WGT, 0, ACC_BUF_WGT, 4, 0, {}, 0};
  EXPECT_EQ(check(ln), ACC_ERR_BAD_CONFIG);  // 20 > 16 + 3: the output would need a left shift of Q.16
  ln.layernorm.header = ACC_OP_LAYERNORM | (19u << ACC_LAYERNORM_OUT_FRAC_SHIFT) | (3u << ACC_LAYERNORM_GAMMA_FRAC_SHIFT);
  EXPECT_EQ(check(ln), ACC_ERR_NONE);
  acc_desc_t score{};
  score.score = {ACC_OP_SCORE, 4, 4, 1, 4, ACC_BUF_ACT, 0, 4, ACC_BUF_ACT, 16, 4, ACC_BUF_ACT, 32, 4, 0, 0};
  EXPECT_EQ(check(score), ACC_ERR_BAD_CONFIG);
  fx::set_format(fx::kQ4_16);
  EXPECT_EQ(check(score), ACC_ERR_NONE);
}
