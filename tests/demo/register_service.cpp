#include "tests/demo/register_service.h"

#include <array>
#include <cstring>

#include "sim/runtime/sync/mutex.h"
#include "sim/runtime/sync/semaphore.h"

namespace tern::demo {

namespace {

constexpr uint8_t kPut = 1, kGet = 2, kOk = 0;
constexpr size_t kRequestBytes = 25, kResponseBytes = 17, kRecordBytes = 32;

void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}
uint64_t checksum(const uint8_t* p, size_t n) { return stable_hash({reinterpret_cast<const char*>(p), n}); }

struct Store {
  std::map<uint64_t, Versioned> cells;
  void apply(uint64_t key, Versioned v) {
    Versioned& c = cells[key];
    if (v.version > c.version) c = v;
  }
};

// Replays the log; truncates at the first torn or corrupt record.
Result<std::unique_ptr<File>> recover(Runtime& rt, const std::string& path, Store& store) {
  auto file = rt.disk().open(path, OpenMode::create);
  if (!file.ok()) return file.error();
  TERN_TRY(rt.disk().fsync_dir(""));
  auto size = file.value()->size();
  if (!size.ok()) return size.error();
  uint64_t good = 0;
  std::array<uint8_t, kRecordBytes> rec{};
  while (good + kRecordBytes <= size.value()) {
    auto n = file.value()->pread(good, rec);
    if (!n.ok()) return n.error();
    if (n.value() != kRecordBytes || get64(&rec[24]) != checksum(rec.data(), 24)) break;
    store.apply(get64(&rec[0]), {get64(&rec[8]), get64(&rec[16])});
    good += kRecordBytes;
  }
  if (good != size.value()) {
    rt.log(Severity::warn, "truncating torn log tail at {} of {}", good, size.value());
    TERN_TRY(file.value()->truncate(good));
    TERN_TRY(file.value()->fsync());
  }
  rt.trace("register.recovered", {{"records", good / kRecordBytes}, {"keys", store.cells.size()}});
  return std::move(file.value());
}

void serve_connection(Runtime& rt, Stream& s, Store& store, File& log, Mutex& log_lock) {
  std::array<uint8_t, kRequestBytes> req{};
  while (s.read_exact(req, Instant::never()).ok()) {
    const uint64_t key = get64(&req[1]);
    Versioned answer;
    if (req[0] == kPut) {
      const Versioned v{get64(&req[9]), get64(&req[17])};
      std::array<uint8_t, kRecordBytes> rec{};
      put64(&rec[0], key);
      put64(&rec[8], v.version);
      put64(&rec[16], v.value);
      put64(&rec[24], checksum(rec.data(), 24));
      MutexLock lock(log_lock);
      if (!lock.owns()) return;
      // Durable before acknowledged: the append and its fsync happen before the answer.
      if (!log.append(rec).ok() || !log.fsync().ok()) {
        rt.log(Severity::error, "log write failed; refusing to acknowledge");
        return;
      }
      store.apply(key, v);
      answer = store.cells[key];
    } else if (req[0] == kGet) {
      auto it = store.cells.find(key);
      if (it != store.cells.end()) answer = it->second;
    } else {
      return;  // garbage: drop the connection
    }
    std::array<uint8_t, kResponseBytes> resp{};
    resp[0] = kOk;
    put64(&resp[1], answer.version);
    put64(&resp[9], answer.value);
    if (!s.write_all(resp, Instant::never()).ok()) return;
  }
}

}  // namespace

void run_register_server(Runtime& rt, const Address& listen, const std::string& log_path,
                         const std::function<void(uint16_t)>& on_listening) {
  Store store;
  auto log = recover(rt, log_path, store);
  TERN_ASSERT(log.ok(), "recovery failed: {}", log.error().message());
  Mutex log_lock(rt);
  auto listener = rt.net().listen(listen);
  if (!listener.ok()) {
    rt.log(Severity::error, "listen: {}", listener.error().message());
    return;
  }
  if (on_listening) on_listening(listener.value()->local().port);
  std::vector<TaskHandle> conns;
  while (true) {
    auto s = listener.value()->accept(Instant::never());
    if (!s.ok()) break;
    conns.push_back(rt.spawn("register.conn", [&, stream = std::move(s.value())]() mutable {
      serve_connection(rt, *stream, store, *log.value(), log_lock);
    }));
    std::erase_if(conns, [](const TaskHandle& h) { return h.done(); });
  }
  for (auto& c : conns) c.cancel();
  for (auto& c : conns) (void)c.join();
}

RegisterClient::RegisterClient(Runtime& rt, std::vector<Address> replicas, Duration rpc_timeout)
    : rt_(rt), replicas_(std::move(replicas)), rpc_timeout_(rpc_timeout) {}

std::vector<std::optional<Versioned>> RegisterClient::broadcast(uint8_t op, uint64_t key,
                                                                Versioned v, Deadline deadline) {
  const size_t n = replicas_.size();
  std::vector<std::optional<Versioned>> answers(n);
  Semaphore answered(rt_, 0);
  std::vector<TaskHandle> rpcs;
  for (size_t i = 0; i < n; ++i) {
    rpcs.push_back(rt_.spawn("register.rpc", [&, i] {
      const Deadline d = std::min(deadline, rt_.now() + rpc_timeout_);
      auto s = rt_.net().connect(replicas_[i], d);
      if (s.ok()) {
        std::array<uint8_t, kRequestBytes> req{};
        req[0] = op;
        put64(&req[1], key);
        put64(&req[9], v.version);
        put64(&req[17], v.value);
        std::array<uint8_t, kResponseBytes> resp{};
        if (s.value()->write_all(req, d).ok() && s.value()->read_exact(resp, d).ok() &&
            resp[0] == kOk)
          answers[i] = Versioned{get64(&resp[1]), get64(&resp[9])};
      }
      answered.release();
    }));
  }
  // Wait for a majority of answers, or for everyone to have given up.
  const size_t majority = n / 2 + 1;
  size_t finished = 0;
  auto ok_count = [&] {
    size_t c = 0;
    for (auto& a : answers) c += a.has_value();
    return c;
  };
  while (finished < n && ok_count() < majority) {
    if (!answered.acquire(1, Instant::never()).ok()) break;
    ++finished;
  }
  for (auto& r : rpcs) r.cancel();
  for (auto& r : rpcs) (void)r.join();
  return answers;
}

bool RegisterClient::put(uint64_t key, Versioned v, Deadline deadline) {
  auto answers = broadcast(kPut, key, v, deadline);
  size_t acks = 0;
  for (auto& a : answers) acks += a.has_value() && a->version >= v.version;
  return acks >= replicas_.size() / 2 + 1;
}

std::optional<Versioned> RegisterClient::get(uint64_t key, Deadline deadline) {
  auto answers = broadcast(kGet, key, {}, deadline);
  size_t count = 0;
  Versioned best;
  for (auto& a : answers) {
    if (!a) continue;
    ++count;
    if (a->version > best.version) best = *a;
  }
  if (count < replicas_.size() / 2 + 1) return std::nullopt;
  return best;
}

}  // namespace tern::demo
