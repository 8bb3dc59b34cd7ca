#pragma once
// A move-only std::function<void()> (C++23's std::move_only_function is not in C++20): task
// bodies often own move-only things, such as the Stream of a connection they serve.
#include <memory>
#include <type_traits>
#include <utility>

namespace tern {

class UniqueFunction {
 public:
  UniqueFunction() = default;
  UniqueFunction(std::nullptr_t) {}
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction> &&
                                              std::is_invocable_v<F&>>>
  UniqueFunction(F&& f) : impl_(std::make_unique<Impl<std::decay_t<F>>>(std::forward<F>(f))) {}
  UniqueFunction(UniqueFunction&&) noexcept = default;
  UniqueFunction& operator=(UniqueFunction&&) noexcept = default;
  UniqueFunction& operator=(std::nullptr_t) {
    impl_.reset();
    return *this;
  }
  explicit operator bool() const { return impl_ != nullptr; }
  void operator()() { impl_->call(); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void call() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F&& f) : f(std::move(f)) {}
    explicit Impl(const F& f) : f(f) {}
    void call() override { f(); }
    F f;
  };
  std::unique_ptr<Base> impl_;
};

}  // namespace tern
