// Grow-only scratch memory for large temporaries (the MATMUL kernel's operands as doubles): mapped
// anonymous memory with transparent huge pages where the kernel offers them, not a std::vector,
// whose growth zero-fills every element and touches 4 KiB pages one fault at a time (BERT-Base's
// kernel buffers took 7,000 page faults). The kernel's pages are zero; nothing else initialises
// them: the caller writes every element it reads.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace acc {

// `bytes` of zeroed, lazily backed memory advised for huge pages (only advice: without them the
// pages are ordinary ones). Throws std::bad_alloc.
inline void* map_anonymous(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

template <class T>
class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { release(); }
  // Room for n elements; what it held before may be lost when it grows.
  T* reserve(size_t n) {
    if (n > capacity_) {
      release();
      constexpr size_t kHuge = size_t{2} << 20;
      bytes_ = (n * sizeof(T) + kHuge - 1) / kHuge * kHuge;
      data_ = static_cast<T*>(map_anonymous(bytes_));
      capacity_ = bytes_ / sizeof(T);
    }
    return data_;
  }

 private:
  void release() {
    if (data_) munmap(data_, bytes_);
    data_ = nullptr, capacity_ = bytes_ = 0;
  }
  T* data_ = nullptr;
  size_t capacity_ = 0, bytes_ = 0;
};

}  // namespace acc
