// Grow-only scratch memory for large temporaries (the MATMUL kernel's operands as doubles): mapped
// anonymous memory, not a std::vector, whose growth zero-fills every element. The kernel's pages
// are zero; nothing else initialises them: the caller writes every element it reads.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace acc {

// `bytes` of zeroed, lazily backed memory. Throws std::bad_alloc.
//
// In 4 KiB pages, not transparent huge pages: in a virtual machine whose balloon reports free
// memory to the host (virtio-balloon free page reporting, common in clouds), the free 2 MiB blocks
// a huge page takes are the ones handed back to the host, and clearing one made the host fault in
// its memory again: on the 2-core machine of docs/validation.md, BERT-Base spent 20-25 % of its
// time clearing the buffers' and DRAM's huge pages (0.3 GB/s), against 1 % in 4 KiB pages, which
// come from memory the guest freed recently.
inline void* map_anonymous(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
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
      constexpr size_t kGrain = size_t{2} << 20;  // grows in steps of 2 MiB: few regrowths
      bytes_ = (n * sizeof(T) + kGrain - 1) / kGrain * kGrain;
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
