// Large synthetic tensors once drawn, kept in files that later processes read back instead of
// drawing again. Every point of a sweep draws the same weights: BERT-Base's 85 M words cost a
// 2 GHz Zen core 0.6 s to draw and 40 ms to copy from the page cache. The words read back are the
// words drawn: a file names the recipe, seed and number format it holds (compared whole when it is
// read) and carries its words' checksum (a damaged file is drawn again and replaced), and sixteen
// of its words, spread over the tensor, are drawn afresh and compared with it (so is a file drawn by
// a generator that has since changed).
//
// The directory is $ACCELTRAN_VP_WEIGHTS_CACHE ("off" turns the cache off), else
// $XDG_CACHE_HOME/acceltran-vp/weights, else ~/.cache/acceltran-vp/weights. It holds at most
// $ACCELTRAN_VP_WEIGHTS_CACHE_MB megabytes (4096 by default): a new file evicts those least
// recently used. A cache that cannot be read or written costs only the draw.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace acc::bert {

struct SyntheticTensor;

// Tensors of fewer words are drawn each time (a file costs more than their draw).
constexpr uint64_t kCachedFromWords = uint64_t{1} << 18;

// The cache's directory, or "" when it is off.
std::string weights_cache_dir();

// How load_cached may fill its memory.
enum class CacheRead {
  Copy,  // copies the words from the file
  // May map the file's pages over the memory's, copy-on-write: for memory of a private mapping that
  // the caller owns, such as the accelerator's DRAM, never a heap block. No copy, and no fresh pages
  // (which this project's hosts are slow to hand out: BERT-Base's 340 MB cost 0.3 s of zeroing).
  // Files are replaced by renaming, never rewritten in place, so what is mapped stays as read.
  Map,
};

// Reads `t` drawn from `seed` into out[0..t.n) and returns true if the cache holds it.
bool load_cached(const SyntheticTensor& t, uint64_t seed, int32_t* out, CacheRead how = CacheRead::Copy);

// Draws `t` from `seed` with `draw` (which writes its n words where it is told) straight into a new
// file of the cache, and maps it at `out` as CacheRead::Map does: the words are drawn once, into
// the page cache, with no copy. `out` as for CacheRead::Map. False, with nothing drawn, if the
// cache cannot take the file (off, or no room).
bool draw_into_cache(const SyntheticTensor& t, uint64_t seed, int32_t* out, const std::function<void(int32_t*)>& draw);

// Keeps `words`, `t` drawn from `seed`, for later processes. Written to a file of its own and
// renamed into place: a reader never sees part of it, and processes storing the same tensor at
// once leave one whole file.
void store_cached(const SyntheticTensor& t, uint64_t seed, const int32_t* words);

}  // namespace acc::bert
