#pragma once
// A move-only std::function<void()> (C++23's std::move_only_function is not in C++20): task
// bodies often own move-only things, such as the Stream of a connection they serve.
//
// Callables of up to kInlineBytes live inside the object: a task body or a timer is created
// for nearly every request the simulated broker serves, and a heap block apiece was a visible
// share of a simulation's time.
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace tern {

class UniqueFunction {
 public:
  static constexpr size_t kInlineBytes = 48;

  UniqueFunction() = default;
  UniqueFunction(std::nullptr_t) {}
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction> &&
                                              std::is_invocable_v<F&>>>
  UniqueFunction(F&& f) {
    using D = std::decay_t<F>;
    if constexpr (fits_inline<D>()) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &kHeapOps<D>;
    }
  }
  UniqueFunction(UniqueFunction&& o) noexcept { take(o); }
  UniqueFunction& operator=(UniqueFunction&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  UniqueFunction& operator=(std::nullptr_t) {
    reset();
    return *this;
  }
  ~UniqueFunction() { reset(); }
  explicit operator bool() const { return ops_ != nullptr; }
  void operator()() { ops_->call(buf_); }

 private:
  struct Ops {
    void (*call)(void* buf);
    // Moves the callable from `from` into the empty `to` and leaves `from` destroyed.
    void (*relocate)(void* from, void* to) noexcept;
    void (*destroy)(void* buf) noexcept;
  };
  template <class D>
  static constexpr bool fits_inline() {
    return sizeof(D) <= kInlineBytes && alignof(D) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<D>;
  }
  template <class D>
  static constexpr Ops kInlineOps = {
      [](void* b) { (*std::launder(static_cast<D*>(b)))(); },
      [](void* from, void* to) noexcept {
        D* f = std::launder(static_cast<D*>(from));
        ::new (to) D(std::move(*f));
        f->~D();
      },
      [](void* b) noexcept { std::launder(static_cast<D*>(b))->~D(); },
  };
  template <class D>
  static constexpr Ops kHeapOps = {
      [](void* b) { (**static_cast<D**>(b))(); },
      [](void* from, void* to) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
      [](void* b) noexcept { delete *static_cast<D**>(b); },
  };

  void take(UniqueFunction& o) noexcept {
    if (o.ops_ == nullptr) return;
    o.ops_->relocate(o.buf_, buf_);
    ops_ = o.ops_;
    o.ops_ = nullptr;
  }
  void reset() noexcept {
    // Cleared first: the callable's destructor may drop the last owner of this very object.
    if (const Ops* ops = std::exchange(ops_, nullptr)) ops->destroy(buf_);
  }

  alignas(std::max_align_t) unsigned char buf_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

}  // namespace tern
