#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "clock.hpp"

using acc::Clock;

TEST(Clock, ConversionsAreThe128BitRoundingsAtEveryMagnitude) {
  // The 64-bit fast paths against the definitions: the nearest picosecond of a cycle, and the
  // nearest cycle of a picosecond count; from small counts to past the fast paths' range (within sc_time's).
  std::mt19937_64 rng(7);
  const unsigned __int128 per_second = 1000000000000ull;
  for (double hz : {700e6, 1e9, 333.333e6, 1.5e9, 25e6}) {
    const Clock clock(hz);
    const uint64_t f = clock.hz();
    for (int magnitude = 0; magnitude < 56; magnitude += 5)
      for (int i = 0; i < 200; ++i) {
        const uint64_t cycles = rng() >> (63 - magnitude);
        if (static_cast<unsigned __int128>(cycles) * per_second / f >= (uint64_t{1} << 63)) continue;  // past sc_time's range
        const uint64_t ps = static_cast<uint64_t>((static_cast<unsigned __int128>(cycles) * per_second + f / 2) / f);
        const sc_core::sc_time t = clock.to_time(cycles);
        ASSERT_EQ(t.value() / sc_core::sc_time(1, sc_core::SC_PS).value(), ps) << hz << " " << cycles;
        ASSERT_EQ(clock.to_cycles(t), cycles) << hz << " " << cycles;  // to_cycles inverts to_time
        const uint64_t any_ps = rng() >> (63 - magnitude);
        const uint64_t expected = static_cast<uint64_t>((static_cast<unsigned __int128>(any_ps) * f + per_second / 2) / per_second);
        ASSERT_EQ(clock.to_cycles(sc_core::sc_time::from_value(any_ps * sc_core::sc_time(1, sc_core::SC_PS).value())), expected)
            << hz << " " << any_ps;
      }
  }
}

TEST(InvariantDivisor, IsTheQuotientForEveryDividendAndDivisor) {
  std::mt19937_64 rng(11);
  std::vector<uint64_t> divisors = {1, 2, 3, 5, 7, 10, 10000, 1000000000000ull, uint64_t{1} << 32, (uint64_t{1} << 32) + 1,
                                    (uint64_t{1} << 63) - 1, uint64_t{1} << 63, (uint64_t{1} << 63) + 1, UINT64_MAX - 1, UINT64_MAX};
  for (int i = 0; i < 200; ++i) divisors.push_back(rng() >> (rng() % 64) | 1), divisors.push_back(rng() >> (rng() % 64) & ~uint64_t{1});
  for (const uint64_t d : divisors) {
    if (d == 0) continue;
    const acc::InvariantDivisor by(d);
    std::vector<uint64_t> dividends = {0, 1, d - 1, d, d + 1, UINT64_MAX, UINT64_MAX - 1, UINT64_MAX / d * d, UINT64_MAX / d * d - 1};
    for (int i = 0; i < 300; ++i) dividends.push_back(rng() >> (rng() % 64));
    for (const uint64_t n : dividends) ASSERT_EQ(by.divide(n), n / d) << n << " / " << d;
  }
}
