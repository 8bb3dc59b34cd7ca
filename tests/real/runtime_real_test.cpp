// Tests of the real runtime (sim/real) on 127.0.0.1 and a temp directory. No assertion
// depends on how long anything takes: only ordering, results and "eventually".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sim/real/real_runtime.h"
#include "sim/runtime/sync/channel.h"
#include "sim/runtime/sync/event.h"
#include "sim/runtime/sync/future.h"
#include "sim/runtime/sync/mutex.h"
#include "sim/runtime/sync/semaphore.h"

namespace tern::real {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A fresh directory under /tmp, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tern_real_XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    EXPECT_NE(p, nullptr);
    path_ = p ? p : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class RealTest : public ::testing::Test {
 protected:
  RealRuntime::Options options() {
    RealRuntime::Options o;
    o.node_name = "t";
    o.data_root = dir_.path();
    o.seed = 42;
    o.log_level = Severity::warn;
    return o;
  }
  Deadline in(Duration d) { return rt_.now() + d; }

  TempDir dir_;
  RealRuntime rt_{options()};
};

// Serves one connection: echoes every byte until the peer closes.
void echo_connection(std::unique_ptr<Stream> s) {
  uint8_t buf[16 * 1024];
  while (true) {
    auto n = s->read_some(buf, Instant::never());
    if (!n.ok()) return;
    if (!s->write_all(std::span<const uint8_t>(buf, n.value()), Instant::never()).ok()) return;
  }
}

// Listens on 127.0.0.1:0 and echoes every accepted connection in its own task.
std::unique_ptr<Listener> start_echo_server(RealRuntime& rt) {
  auto l = rt.net().listen(Address{"127.0.0.1", 0});
  EXPECT_TRUE(l.ok()) << l.error().message();
  Listener* raw = l.value().get();
  rt.spawn("echo.accept", [&rt, raw] {
    while (true) {
      auto s = raw->accept(Instant::never());
      if (!s.ok()) return;  // closed at the end of the test
      auto* conn = s.value().release();
      rt.spawn("echo.conn", [conn] { echo_connection(std::unique_ptr<Stream>(conn)); });
    }
  });
  return std::move(l).value();
}

TEST_F(RealTest, EchoServerAndClient) {
  bool done = false;
  rt_.run([&] {
    auto listener = start_echo_server(rt_);
    const Address addr = listener->local();
    EXPECT_EQ(addr.host, "127.0.0.1");
    EXPECT_NE(addr.port, 0);  // port 0 resolved to the real port

    auto c = rt_.net().connect(addr, in(Duration::seconds(10)));
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c.value()->peer(), addr);
    EXPECT_NE(c.value()->local().port, 0);
    const Bytes msg = bytes_of("hello, tern");
    ASSERT_TRUE(c.value()->write_all(msg, in(Duration::seconds(10))).ok());
    Bytes back(msg.size());
    ASSERT_TRUE(c.value()->read_exact(back, in(Duration::seconds(10))).ok());
    EXPECT_EQ(back, msg);
    c.value()->close();
    c.value()->close();  // idempotent
    listener->close();
    rt_.yield();  // the accept task sees the close and ends before the listener is freed
    done = true;
  });
  EXPECT_TRUE(done);
  // The server tasks saw the closes and finished, so run() returned on its own.
  EXPECT_EQ(rt_.scheduler().live_tasks(), 0u);
}

TEST_F(RealTest, ManyConcurrentConnections) {
  constexpr int kClients = 64;
  constexpr int kRounds = 8;
  int ok_clients = 0;
  rt_.run([&] {
    auto listener = start_echo_server(rt_);
    const Address addr = listener->local();
    std::vector<TaskHandle> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.push_back(rt_.spawn("client", [&, i] {
        Rng rng = rt_.rng().fork("client" + std::to_string(i));
        auto c = rt_.net().connect(addr, in(Duration::seconds(10)));
        ASSERT_TRUE(c.ok()) << c.error().message();
        for (int r = 0; r < kRounds; ++r) {
          Bytes msg(static_cast<size_t>(rng.between(1, 200'000)));
          for (auto& b : msg) b = static_cast<uint8_t>(rng.next_u64());
          // Write and read concurrently: a large message would otherwise fill both
          // directions' socket buffers and deadlock, as with any echo server.
          Promise<bool> wrote(rt_);
          auto f = wrote.future();
          auto writer = rt_.spawn("writer", [&, w = std::move(wrote)]() mutable {
            w.set(c.value()->write_all(msg, in(Duration::seconds(20))).ok());
          });
          Bytes back(msg.size());
          ASSERT_TRUE(c.value()->read_exact(back, in(Duration::seconds(20))).ok());
          ASSERT_TRUE(f.get().value());
          ASSERT_TRUE(writer.join().ok());
          ASSERT_EQ(back, msg);
        }
        ++ok_clients;
      }));
    }
    for (auto& h : clients) ASSERT_TRUE(h.join().ok());
    listener->close();
    rt_.yield();  // the accept task sees the close and ends before the listener is freed
  });
  EXPECT_EQ(ok_clients, kClients);
}

TEST_F(RealTest, ReadAndWriteDeadlinesTimeOut) {
  rt_.run([&] {
    auto l = rt_.net().listen(Address{"127.0.0.1", 0});
    ASSERT_TRUE(l.ok());
    auto c = rt_.net().connect(l.value()->local(), in(Duration::seconds(10)));
    ASSERT_TRUE(c.ok());
    auto s = l.value()->accept(in(Duration::seconds(10)));
    ASSERT_TRUE(s.ok());

    // Nobody writes: the read times out, and the stream still works afterwards.
    uint8_t buf[16];
    auto r = c.value()->read_some(buf, in(Duration::millis(20)));
    EXPECT_EQ(r.code(), Errc::timed_out);
    ASSERT_TRUE(s.value()->write_all(bytes_of("x"), in(Duration::seconds(10))).ok());
    r = c.value()->read_some(buf, in(Duration::seconds(10)));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value(), 1u);

    // Nobody reads: socket buffers fill and the write times out.
    Bytes big(64 << 20);
    EXPECT_EQ(c.value()->write_all(big, in(Duration::millis(50))).code(), Errc::timed_out);
    // A stream whose write failed is broken.
    EXPECT_FALSE(c.value()->write_all(bytes_of("y"), in(Duration::seconds(1))).ok());
    // Accept with nobody connecting times out too.
    EXPECT_EQ(l.value()->accept(in(Duration::millis(10))).code(), Errc::timed_out);
  });
}

TEST_F(RealTest, ConnectToClosedPortIsRefused) {
  rt_.run([&] {
    auto l = rt_.net().listen(Address{"127.0.0.1", 0});
    ASSERT_TRUE(l.ok());
    const Address addr = l.value()->local();
    l.value()->close();
    auto c = rt_.net().connect(addr, in(Duration::seconds(10)));
    EXPECT_EQ(c.code(), Errc::refused);
    // Listening twice on one port fails as a value.
    auto a = rt_.net().listen(Address{"127.0.0.1", 0});
    ASSERT_TRUE(a.ok());
    auto b = rt_.net().listen(a.value()->local());
    EXPECT_EQ(b.code(), Errc::address_in_use);
    // Unresolvable names are errors, not crashes.
    EXPECT_FALSE(rt_.net().connect(Address{"no.such.host.invalid", 1}, in(Duration::seconds(5)))
                     .ok());
  });
}

// A non-routable address is not reliable in this sandbox (10.255.255.1 connects at once), so
// the connect timeout is tested against a listener with a full accept queue: Linux drops
// the SYNs, and the handshake never completes.
TEST_F(RealTest, ConnectTimesOutAgainstFullBacklog) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  struct sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(lfd, 0), 0);  // never accepted from
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(lfd, reinterpret_cast<struct sockaddr*>(&sa), &len), 0);
  const Address addr{"127.0.0.1", ntohs(sa.sin_port)};
  bool timed_out = false;
  rt_.run([&] {
    std::vector<std::unique_ptr<Stream>> keep;
    for (int i = 0; i < 16 && !timed_out; ++i) {
      auto c = rt_.net().connect(addr, in(Duration::millis(100)));
      if (c.ok()) {
        keep.push_back(std::move(c).value());
        continue;
      }
      EXPECT_EQ(c.code(), Errc::timed_out) << c.error().message();
      timed_out = c.code() == Errc::timed_out;
    }
  });
  ::close(lfd);
  EXPECT_TRUE(timed_out);
}

TEST_F(RealTest, PeerCloseIsClosedThenReset) {
  rt_.run([&] {
    auto l = rt_.net().listen(Address{"127.0.0.1", 0});
    ASSERT_TRUE(l.ok());
    auto c = rt_.net().connect(l.value()->local(), in(Duration::seconds(10)));
    ASSERT_TRUE(c.ok());
    auto s = l.value()->accept(in(Duration::seconds(10)));
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s.value()->write_all(bytes_of("bye"), in(Duration::seconds(10))).ok());
    s.value()->close();
    // Data sent before the close is still delivered, then the end of the stream.
    Bytes got(3);
    ASSERT_TRUE(c.value()->read_exact(got, in(Duration::seconds(10))).ok());
    EXPECT_EQ(got, bytes_of("bye"));
    uint8_t buf[8];
    EXPECT_EQ(c.value()->read_some(buf, in(Duration::seconds(10))).code(), Errc::closed);
    // Writing into a closed peer eventually fails with reset (first a RST comes back).
    Status w;
    for (int i = 0; i < 100 && w.ok(); ++i) {
      w = c.value()->write_all(bytes_of("more"), in(Duration::seconds(10)));
      if (w.ok()) (void)rt_.sleep_for(Duration::millis(1));
    }
    EXPECT_EQ(w.code(), Errc::reset);
  });
}

// Short reads let the stream skip the next recv() until an epoll edge says data came; this
// checks no byte and no end-of-stream is ever missed that way, whatever the interleaving.
TEST_F(RealTest, ShortReadsNeverMissDataOrEndOfStream) {
  rt_.run([&] {
    auto l = rt_.net().listen(Address{"127.0.0.1", 0});
    ASSERT_TRUE(l.ok());
    auto c = rt_.net().connect(l.value()->local(), in(Duration::seconds(10)));
    ASSERT_TRUE(c.ok());
    auto s = l.value()->accept(in(Duration::seconds(10)));
    ASSERT_TRUE(s.ok());
    constexpr int kPieces = 200;
    auto writer = rt_.spawn("writer", [&] {
      for (int i = 0; i < kPieces; ++i) {
        const uint8_t b = static_cast<uint8_t>(i);
        ASSERT_TRUE(s.value()->write_all(std::span<const uint8_t>(&b, 1),
                                         in(Duration::seconds(10)))
                        .ok());
        if (i % 3 == 0) rt_.yield();
        if (i % 50 == 0) (void)rt_.sleep_for(Duration::millis(1));
      }
      s.value()->close();  // the FIN may arrive together with the last bytes
    });
    std::vector<uint8_t> got;
    uint8_t buf[64];
    while (true) {
      auto n = c.value()->read_some(buf, in(Duration::seconds(10)));
      if (!n.ok()) {
        EXPECT_EQ(n.code(), Errc::closed);
        break;
      }
      got.insert(got.end(), buf, buf + n.value());
    }
    ASSERT_TRUE(writer.join().ok());
    ASSERT_EQ(got.size(), static_cast<size_t>(kPieces));
    for (int i = 0; i < kPieces; ++i) EXPECT_EQ(got[i], static_cast<uint8_t>(i));
  });
}

TEST_F(RealTest, LocalCloseWakesParkedReaderAndCancelInterruptsIo) {
  rt_.run([&] {
    auto l = rt_.net().listen(Address{"127.0.0.1", 0});
    ASSERT_TRUE(l.ok());
    auto c = rt_.net().connect(l.value()->local(), in(Duration::seconds(10)));
    ASSERT_TRUE(c.ok());
    auto s = l.value()->accept(in(Duration::seconds(10)));
    ASSERT_TRUE(s.ok());

    Errc reader_got = Errc::ok;
    auto reader = rt_.spawn("reader", [&] {
      uint8_t buf[8];
      reader_got = c.value()->read_some(buf, Instant::never()).code();
    });
    rt_.yield();  // let the reader park
    c.value()->close();
    ASSERT_TRUE(reader.join(in(Duration::seconds(10))).ok());
    EXPECT_EQ(reader_got, Errc::closed);

    Errc acceptor_got = Errc::ok;
    auto acceptor = rt_.spawn("acceptor", [&] {
      acceptor_got = l.value()->accept(Instant::never()).code();
    });
    Errc reader2_got = Errc::ok;
    auto reader2 = rt_.spawn("reader2", [&] {
      uint8_t buf[8];
      reader2_got = s.value()->read_some(buf, Instant::never()).code();
    });
    (void)rt_.sleep_for(Duration::millis(5));
    acceptor.cancel();
    ASSERT_TRUE(acceptor.join(in(Duration::seconds(10))).ok());
    EXPECT_EQ(acceptor_got, Errc::cancelled);
    // reader2 wakes either with closed (c's close reached s) or stays parked; cancel it.
    reader2.cancel();
    ASSERT_TRUE(reader2.join(in(Duration::seconds(10))).ok());
    EXPECT_TRUE(reader2_got == Errc::cancelled || reader2_got == Errc::closed)
        << errc_name(reader2_got);
  });
}

TEST_F(RealTest, SleepsWakeInDeadlineOrder) {
  std::vector<int> order;
  rt_.run([&] {
    for (int ms : {30, 10, 20}) {
      rt_.spawn("sleeper", [&, ms] {
        ASSERT_TRUE(rt_.sleep_for(Duration::millis(ms)).ok());
        order.push_back(ms);
      });
    }
    const Instant before = rt_.now();
    ASSERT_TRUE(rt_.sleep_for(Duration::millis(1)).ok());
    EXPECT_GE(rt_.now(), before + Duration::millis(1));  // never early
  });
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
}

TEST_F(RealTest, SyncPrimitivesWorkUnderTheRealLoop) {
  rt_.run([&] {
    // Event set by a task after a timer.
    Event ev(rt_);
    rt_.spawn("setter", [&] {
      (void)rt_.sleep_for(Duration::millis(5));
      ev.set();
    });
    EXPECT_EQ(ev.wait(in(Duration::millis(1))).code(), Errc::timed_out);
    EXPECT_TRUE(ev.wait(in(Duration::seconds(10))).ok());

    // Mutex: sections that sleep inside never overlap.
    Mutex mu(rt_);
    int inside = 0, max_inside = 0, entered = 0;
    std::vector<TaskHandle> hs;
    for (int i = 0; i < 5; ++i) {
      hs.push_back(rt_.spawn("locker", [&] {
        MutexLock lock(mu);
        ASSERT_TRUE(lock.owns());
        ++inside;
        max_inside = std::max(max_inside, inside);
        (void)rt_.sleep_for(Duration::millis(1));
        --inside;
        ++entered;
      }));
    }
    for (auto& h : hs) ASSERT_TRUE(h.join().ok());
    EXPECT_EQ(max_inside, 1);
    EXPECT_EQ(entered, 5);

    // Semaphore: at most two at once.
    Semaphore sem(rt_, 2);
    inside = max_inside = 0;
    hs.clear();
    for (int i = 0; i < 6; ++i) {
      hs.push_back(rt_.spawn("permit", [&] {
        ASSERT_TRUE(sem.acquire().ok());
        ++inside;
        max_inside = std::max(max_inside, inside);
        (void)rt_.sleep_for(Duration::millis(1));
        --inside;
        sem.release();
      }));
    }
    for (auto& h : hs) ASSERT_TRUE(h.join().ok());
    EXPECT_EQ(max_inside, 2);
    EXPECT_EQ(sem.available(), 2);

    // Channel: a slow consumer with a bounded queue still gets everything in order.
    Channel<int> ch(rt_, 2);
    std::vector<int> got;
    auto consumer = rt_.spawn("consumer", [&] {
      while (true) {
        auto v = ch.recv(in(Duration::seconds(10)));
        if (!v.ok()) {
          EXPECT_EQ(v.code(), Errc::closed);
          return;
        }
        got.push_back(v.value());
        (void)rt_.sleep_for(Duration::micros(200));
      }
    });
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(ch.send(i, in(Duration::seconds(10))).ok());
    ch.close();
    ASSERT_TRUE(consumer.join().ok());
    ASSERT_EQ(got.size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(got[i], i);
    EXPECT_EQ(Channel<int>(rt_, 1).recv(in(Duration::millis(1))).code(), Errc::timed_out);

    // Future: a value after a timer, a timeout, and a broken promise.
    auto p = std::make_unique<Promise<std::string>>(rt_);
    Future<std::string> f = p->future();
    EXPECT_EQ(f.get(in(Duration::millis(1))).code(), Errc::timed_out);
    rt_.spawn("fulfil", [&] {
      (void)rt_.sleep_for(Duration::millis(2));
      p->set("value");
    });
    auto v = f.get(in(Duration::seconds(10)));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.value(), "value");
    Future<int> broken;
    {
      Promise<int> q(rt_);
      broken = q.future();
    }
    EXPECT_EQ(broken.get().code(), Errc::cancelled);

    // A cancelled sleeper returns cancelled.
    Errc sleeper = Errc::ok;
    auto h = rt_.spawn("sleeper", [&] { sleeper = rt_.sleep_for(Duration::seconds(60)).code(); });
    rt_.yield();
    h.cancel();
    ASSERT_TRUE(h.join(in(Duration::seconds(10))).ok());
    EXPECT_EQ(sleeper, Errc::cancelled);
  });
}

TEST_F(RealTest, PosixDiskOperations) {
  Disk& d = rt_.disk();
  // Errors are values.
  EXPECT_EQ(d.open("missing", OpenMode::read_write).code(), Errc::not_found);
  EXPECT_EQ(d.open("/etc/passwd", OpenMode::read_write).code(), Errc::invalid_argument);
  EXPECT_EQ(d.open("../escape", OpenMode::create).code(), Errc::invalid_argument);
  EXPECT_EQ(d.list("nodir").code(), Errc::not_found);
  EXPECT_EQ(d.remove("nothing").code(), Errc::not_found);

  ASSERT_TRUE(d.make_dirs("topic-0/sub").ok());
  ASSERT_TRUE(d.make_dirs("topic-0/sub").ok());  // like mkdir -p: already there is fine
  ASSERT_TRUE(d.fsync_dir("topic-0").ok());
  ASSERT_TRUE(d.fsync_dir("").ok());

  auto f = d.open("topic-0/00.log", OpenMode::create_exclusive);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(d.open("topic-0/00.log", OpenMode::create_exclusive).code(), Errc::exists);
  File& file = *f.value();
  EXPECT_EQ(file.path(), "topic-0/00.log");
  ASSERT_TRUE(file.append(bytes_of("hello ")).ok());
  ASSERT_TRUE(file.append(bytes_of("world")).ok());
  EXPECT_EQ(file.size().value(), 11u);
  ASSERT_TRUE(file.pwrite(0, bytes_of("J")).ok());
  ASSERT_TRUE(file.fsync().ok());
  Bytes buf(64);
  auto n = file.pread(0, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + n.value()), "Jello world");
  n = file.pread(6, std::span<uint8_t>(buf.data(), 3));
  EXPECT_EQ(n.value(), 3u);
  EXPECT_EQ(file.pread(100, buf).value(), 0u);  // past the end: nothing, not an error
  ASSERT_TRUE(file.truncate(5).ok());
  EXPECT_EQ(file.size().value(), 5u);
  ASSERT_TRUE(file.append(bytes_of("!")).ok());  // appends at the new end
  n = file.pread(0, buf);
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + n.value()), "Jello!");

  // Reopen sees the data; create on an existing file keeps it.
  auto again = d.open("topic-0/00.log", OpenMode::create);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value()->size().value(), 6u);

  // rename + list (sorted) + exists + remove.
  auto g = d.open("topic-0/b.tmp", OpenMode::create);
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(d.rename("topic-0/b.tmp", "topic-0/01.log").ok());
  ASSERT_TRUE(d.fsync_dir("topic-0").ok());
  EXPECT_FALSE(d.exists("topic-0/b.tmp"));
  EXPECT_TRUE(d.exists("topic-0/01.log"));
  auto names = d.list("topic-0");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), (std::vector<std::string>{"00.log", "01.log", "sub"}));
  EXPECT_EQ(d.rename("topic-0/none", "topic-0/x").code(), Errc::not_found);
  ASSERT_TRUE(d.remove("topic-0/01.log").ok());
  ASSERT_TRUE(d.remove("topic-0/sub").ok());  // an empty directory
  EXPECT_EQ(d.list("topic-0").value(), (std::vector<std::string>{"00.log"}));
  // A file in the way of make_dirs.
  EXPECT_EQ(d.make_dirs("topic-0/00.log/x").code(), Errc::exists);
}

TEST_F(RealTest, StopFromATaskEndsRun) {
  bool after_stop = false;
  rt_.run([&] {
    rt_.spawn("forever", [&] { (void)rt_.sleep_for(Duration::seconds(3600)); });
    rt_.stop();
    after_stop = true;  // stop() does not switch away by itself
  });
  EXPECT_TRUE(after_stop);
  EXPECT_EQ(rt_.scheduler().live_tasks(), 1u);  // left suspended, unwound at destruction
  // run() again continues: the next main stops it again.
  bool ran = false;
  rt_.run([&] {
    ran = true;
    rt_.stop();
  });
  EXPECT_TRUE(ran);
}

TEST_F(RealTest, StopFromAnotherThreadEndsRun) {
  std::atomic<bool> started{false};
  rt_.run([&] {
    // A parked accept and a long sleep: the loop blocks in epoll_wait until woken.
    auto l = rt_.net().listen(Address{"127.0.0.1", 0});
    ASSERT_TRUE(l.ok());
    Listener* raw = l.value().release();
    rt_.spawn("acceptor", [raw] {
      std::unique_ptr<Listener> owned(raw);
      (void)owned->accept(Instant::never());
    });
    started = true;
    std::thread([this] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      rt_.stop();
    }).detach();
    (void)rt_.sleep_for(Duration::seconds(3600));
  });
  EXPECT_TRUE(started);
  // Destroying the runtime now unwinds the acceptor, closing its listener.
}

TEST_F(RealTest, RunReturnsWhenAllTasksFinish) {
  int children = 0;
  rt_.run([&] {
    for (int i = 0; i < 3; ++i)
      rt_.spawn("child", [&] {
        (void)rt_.sleep_for(Duration::millis(2));
        ++children;
      });
  });
  EXPECT_EQ(children, 3);
}

TEST(RealRuntimeTrace, LinesAreFilteredAndFormatted) {
  std::vector<std::string> lines;
  TempDir dir;
  RealRuntime::Options o;
  o.node_name = "b1";
  o.data_root = dir.path() + "/nested/root";  // created at construction
  o.log_level = Severity::info;
  o.log_sink = [&](std::string_view l) { lines.emplace_back(l); };
  RealRuntime rt(o);
  EXPECT_TRUE(std::filesystem::is_directory(o.data_root));
  EXPECT_FALSE(rt.buggify("anything"));
  EXPECT_EQ(rt.node_name(), "b1");
  EXPECT_GT(rt.wall_now().unix_ms, 1'600'000'000'000);
  rt.trace(Severity::debug, "dropped", {{"k", 1}});
  rt.trace("net.accept", {{"peer", "127.0.0.1:5"}, {"n", 7}, {"msg", "two words"}});
  rt.log(Severity::warn, "disk {} is {}", "d0", "slow");
  ASSERT_EQ(lines.size(), 2u);
  const std::regex first(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info b1 net\.accept peer=127\.0\.0\.1:5 n=7 msg="two words"\n)");
  EXPECT_TRUE(std::regex_match(lines[0], first)) << lines[0];
  EXPECT_NE(lines[1].find(" warn b1 log msg=\"disk d0 is slow\""), std::string::npos) << lines[1];
}

TEST(RealRuntimeRng, SeededAndClockSeeded) {
  TempDir dir;
  RealRuntime::Options o;
  o.data_root = dir.path();
  o.seed = 7;
  RealRuntime a(o), b(o);
  EXPECT_EQ(a.rng().next_u64(), b.rng().next_u64());
  o.seed = 0;
  RealRuntime c(o);
  EXPECT_NE(c.rng().seed(), 0u);
}

// A runtime on its own temp dir that logs errors only (the lifetime tests destroy it mid-run).
std::unique_ptr<RealRuntime> quiet_runtime(const TempDir& dir) {
  RealRuntime::Options o;
  o.data_root = dir.path();
  o.log_level = Severity::error;
  return std::make_unique<RealRuntime>(o);
}

TEST(RealRuntimeLifetime, DestroyWithParkedSocketTasks) {
  TempDir dir;
  auto rt = quiet_runtime(dir);
  RealRuntime& r = *rt;
  r.run([&] {
    auto l = r.net().listen(Address{"127.0.0.1", 0});
    ASSERT_TRUE(l.ok());
    const Address addr = l.value()->local();
    Listener* raw = l.value().release();
    r.spawn("server", [raw] {
      std::unique_ptr<Listener> owned(raw);
      auto s = owned->accept(Instant::never());
      if (!s.ok()) return;
      uint8_t buf[4];
      (void)s.value()->read_some(buf, Instant::never());  // parked here at destruction
    });
    r.spawn("client", [&r, addr] {
      auto c = r.net().connect(addr, r.now() + Duration::seconds(10));
      if (!c.ok()) return;
      uint8_t buf[4];
      (void)c.value()->read_some(buf, Instant::never());  // parked here at destruction
    });
    (void)r.sleep_for(Duration::millis(20));
    r.stop();
  });
  EXPECT_EQ(r.scheduler().live_tasks(), 2u);
  rt.reset();  // unwinds both fibers; their sockets close and leave the epoll set
}

// fsync runs on the IoPool: the loop keeps running other tasks while a job blocks. The job
// here waits for a flag that only another task of this loop sets, so an inline (loop-thread)
// job could never see it and would report ETIMEDOUT.
TEST_F(RealTest, IoPoolJobsRunOffTheLoopThread) {
  std::atomic<bool> flag{false};
  int result = -1;
  bool other_ran = false;
  rt_.run([&] {
    rt_.spawn("other", [&] {
      other_ran = true;
      flag.store(true);
    });
    result = rt_.io_pool().run([&flag] {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!flag.load()) {
        if (std::chrono::steady_clock::now() > give_up) return ETIMEDOUT;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      return 0;
    });
  });
  EXPECT_TRUE(other_ran);
  EXPECT_EQ(result, 0);
  EXPECT_EQ(rt_.io_pool().jobs_run(), 1u);
}

TEST_F(RealTest, FsyncGoesThroughTheIoPoolAndKeepsData) {
  rt_.run([&] {
    Disk& d = rt_.disk();
    auto f = d.open("a.log", OpenMode::create);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f.value()->append(bytes_of("hello ")).ok());
    ASSERT_TRUE(f.value()->fsync().ok());
    ASSERT_TRUE(f.value()->append(bytes_of("world")).ok());
    EXPECT_EQ(f.value()->size().value(), 11u);
    ASSERT_TRUE(f.value()->fsync().ok());
    ASSERT_TRUE(d.fsync_dir("").ok());
    Bytes back(11);
    ASSERT_EQ(f.value()->pread(0, back).value(), 11u);
    EXPECT_EQ(back, bytes_of("hello world"));
    ASSERT_TRUE(f.value()->truncate(5).ok());
    EXPECT_EQ(f.value()->size().value(), 5u);
    ASSERT_TRUE(f.value()->append(bytes_of("!")).ok());
    EXPECT_EQ(f.value()->size().value(), 6u);
  });
  EXPECT_EQ(rt_.io_pool().jobs_run(), 3u);  // two file fsyncs and one directory fsync
}

// A task unwound while its job runs (a crash, shutdown) must not be woken afterwards; the
// job still finishes and the pool joins cleanly.
TEST(RealRuntimeLifetime, DestroyWhileATaskWaitsOnTheIoPool) {
  TempDir dir;
  auto rt = quiet_runtime(dir);
  RealRuntime& r = *rt;
  std::atomic<bool> release{false};
  r.run([&] {
    r.spawn("waiter", [&] {
      (void)r.io_pool().run([&release] {
        while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return 0;
      });
    });
    (void)r.sleep_for(Duration::millis(10));
    r.stop();
  });
  EXPECT_EQ(r.scheduler().live_tasks(), 1u);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    release.store(true);
  });
  rt.reset();  // unwinds the waiter, then joins the pool once the job returns
  releaser.join();
}

}  // namespace
}  // namespace tern::real
