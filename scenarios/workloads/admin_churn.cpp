// The admin-churn workload: an admin client that, while the faults run, creates and deletes
// topics (prefix-0 .. prefix-N-1, re-created after deletion), adds partitions, alters topic
// configs and describes them, logging every operation with its outcome: ok, a definite error
// (the broker answered with a Kafka error code) or indeterminate (no answer: timeout, reset,
// crash). A verifier node describes every churned topic after the run; check() replays the
// op log into a model of what each topic may look like and compares it with what the
// verifier saw.
//
// The model is a point model: an indeterminate op took effect at its place in the log or not
// at all. A single admin client issues one op at a time with a long timeout, and a crash or
// reset ends the request, so a late landing behind a later op needs a request delayed past
// the admin timeout (30 s, far beyond the scenario's fault durations).
//
// Optionally a small producer writes to the churned topics. Its writes are not put in the
// History: a global checker would read a deleted-then-recreated topic's offsets as lost or
// inconsistent writes. Its metadata requests may auto-create a deleted topic (Kafka's
// auto.create.topics.enable), so with produce=on a deleted topic may exist again with the
// broker's default partition count and no overrides; the model allows exactly that.
#include <deque>

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "broker/client/admin.h"
#include "broker/client/producer.h"
#include "scenarios/workloads/workloads.h"

namespace tern::scenarios {

namespace {

struct AdminChurnOptions {
  int topics = 3;
  std::string prefix = "churn";
  Duration ops_gap = Duration::millis(200);
  bool produce = true;
  // A planted bug in the workload's expectation: it logs every altered config value as one
  // it did not send, so check() must report a mismatch (the test of check() itself).
  bool planted_wrong_config = false;
};

// The configs the workload churns, with the values it picks from.
struct ChurnConfig {
  const char* name;
  std::vector<std::string> values;
};
const std::vector<ChurnConfig>& churn_configs() {
  static const std::vector<ChurnConfig> configs = {
      {"retention.ms", {"1000", "60000", "604800000"}},
      {"segment.bytes", {"4096", "16384", "1048576"}},
      {"message.timestamp.type", {"CreateTime", "LogAppendTime"}},
      {"cleanup.policy", {"delete"}},
  };
  return configs;
}

enum class AdminOpKind : uint8_t { create, remove, add_partitions, alter, describe };
enum class Outcome : uint8_t { pending, ok, failed, indeterminate };

std::string_view kind_name(AdminOpKind k) {
  switch (k) {
    case AdminOpKind::create: return "create";
    case AdminOpKind::remove: return "delete";
    case AdminOpKind::add_partitions: return "create-partitions";
    case AdminOpKind::alter: return "alter-configs";
    case AdminOpKind::describe: return "describe";
  }
  return "?";
}

struct AdminOp {
  int64_t time_ns = 0;
  AdminOpKind kind = AdminOpKind::describe;
  std::string topic;
  int32_t partitions = 0;  // create: the count; create-partitions: the new total
  std::map<std::string, std::string> configs;  // create: its configs; alter: the values set
  // A pending op never got its answer (the admin node crashed): indeterminate.
  Outcome outcome = Outcome::pending;
  std::string error;  // failed / indeterminate: why
  int16_t kafka_code = 0;
  int32_t seen_partitions = -1;  // describe ok: the partition count
  // alter: it failed in its first step, the DescribeConfigs read (any broker answers from
  // its own metadata image, which may lag the controller's in a cluster).
  bool read_step_failed = false;
  // alter: the whole override set it sent (its read's overrides plus its own), once sent.
  std::optional<std::map<std::string, std::string>> written;

  std::string to_string() const {
    std::string s = fmt::format("#{} {} {}", time_ns / 1'000'000, kind_name(kind), topic);
    if (partitions > 0) s += fmt::format(" partitions={}", partitions);
    for (const auto& [k, v] : configs) s += fmt::format(" {}={}", k, v);
    switch (outcome) {
      case Outcome::ok: s += " -> ok"; break;
      case Outcome::failed: s += " -> " + error; break;
      case Outcome::pending:
      case Outcome::indeterminate: s += " -> indeterminate (" + error + ")"; break;
    }
    return s;
  }
};

// What the verifier saw of one topic.
struct TopicView {
  bool exists = false;
  int32_t partitions = 0;
  std::map<std::string, std::string> overrides;  // churned keys only
  bool operator==(const TopicView&) const = default;
};

// What the op log says a topic may look like.
struct Belief {
  enum class Exists : uint8_t { yes, no, unknown };
  Exists exists = Exists::no;
  // If it exists: its partition count lies in [lo, hi] ...
  int32_t lo = 0;
  int32_t hi = 0;
  // ... and each churned config is known (a value, or nullopt: no override) or absent here
  // (unknown).
  std::map<std::string, std::optional<std::string>> configs;
  std::vector<std::string> why;  // the ops that shaped the belief, for messages

  static Belief created(int32_t partitions, const std::map<std::string, std::string>& set) {
    Belief b;
    b.exists = Exists::yes;
    b.lo = b.hi = partitions;
    for (const auto& c : churn_configs()) {
      auto it = set.find(c.name);
      b.configs[c.name] =
          it == set.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    return b;
  }
  // Either this or `other` (what an indeterminate op leaves).
  void merge(const Belief& other) {
    lo = std::min(lo, other.lo);
    hi = std::max(hi, other.hi);
    for (auto it = configs.begin(); it != configs.end();) {
      auto o = other.configs.find(it->first);
      if (o == other.configs.end() || o->second != it->second) it = configs.erase(it);
      else ++it;
    }
  }
};

bool is_definite(const client::ClientError& e) {
  // A Kafka error code is the broker's answer: the op did not happen. REQUEST_TIMED_OUT is
  // the broker giving up waiting, not a refusal: the op may still complete.
  return e.is_kafka() && !(e == protocol::ErrorCode::request_timed_out);
}

class AdminChurnWorkload final : public Workload {
 public:
  explicit AdminChurnWorkload(AdminChurnOptions o) : o_(std::move(o)) {}

  void setup(WorkloadContext& ctx) override {
    bootstrap_ = ctx.bootstrap;
    stale_reads_ = ctx.bootstrap.size() > 1;
    end_ = ctx.end;
    for (int i = 0; i < o_.topics; ++i) names_.push_back(fmt::format("{}-{}", o_.prefix, i));
    ctx.knob("admin", "ops_gap.ms", std::to_string(o_.ops_gap.to_millis()));
    // The op log lives in this object, which outlives the run: the admin node may be
    // crashed and restarted (its main starts anew and keeps appending).
    ctx.add_client("admin", [this](Runtime& rt) { run_admin(rt); },
                   ClientKind::restartable);
    if (o_.produce)
      ctx.add_client("ap1", [this](Runtime& rt) { run_producer(rt); },
                   ClientKind::restartable);
    ctx.add_client("verifier", [this](Runtime& rt) { run_verifier(rt); },
                   ClientKind::verifier);
  }

  void check(const CheckContext& ctx, std::vector<Violation>& out) const override {
    (void)ctx;
    if (!final_view_) {
      out.push_back({"admin_churn",
                     "the verifier saw no complete view of the churned topics after the run",
                     end_.ns});
      return;
    }
    std::map<std::string, Belief> beliefs;
    // Before the first op a topic is absent, or auto-created by the producer.
    for (const auto& name : names_) beliefs[name] = o_.produce ? autocreated() : Belief{};
    for (const AdminOp& op : ops_) apply(op, beliefs.at(op.topic), out);
    for (const auto& name : names_)
      judge(name, beliefs.at(name), final_view_->at(name), out);
  }

 private:
  client::ClientOptions client_options() const {
    client::ClientOptions c;
    c.bootstrap = bootstrap_;
    return c;
  }

  // Appends an op (pending until its answer) and returns its index: the node may crash
  // while waiting, and a pending op is read as indeterminate.
  size_t begin_op(Runtime& rt, AdminOp op) {
    op.time_ns = rt.now().ns;
    ops_.push_back(std::move(op));
    return ops_.size() - 1;
  }
  void finish_op(Runtime& rt, size_t i, const client::ClientStatus& st) {
    AdminOp& op = ops_[i];
    if (st.ok()) {
      op.outcome = Outcome::ok;
    } else {
      op.outcome = is_definite(st.error()) ? Outcome::failed : Outcome::indeterminate;
      op.error = st.error().message();
      op.kafka_code = st.error().kafka_code();
      // Admin::alter_topic_configs names its read step's errors "configs of <topic>".
      op.read_step_failed =
          op.kind == AdminOpKind::alter && op.error.find("(configs of ") != std::string::npos;
    }
    rt.trace("workload.admin_op", {{"op", op.to_string()}});
  }

  void run_admin(Runtime& rt) {
    client::Admin admin(rt, client_options());
    Rng& rng = rt.rng();
    // Stop a little before the end: the last answers arrive before the power loss.
    const Instant stop = end_ - Duration::seconds(2);
    while (rt.now() < stop) {
      const std::string& topic = names_[rng.below(names_.size())];
      const uint64_t roll = rng.below(100);
      AdminOp op;
      op.topic = topic;
      if (roll < 25) {
        op.kind = AdminOpKind::create;
        op.partitions = static_cast<int32_t>(rng.between(1, 3));
        for (const auto& c : churn_configs())
          if (rng.one_in(3)) op.configs[c.name] = c.values[rng.below(c.values.size())];
        const size_t i = begin_op(rt, op);
        client::NewTopic t;
        t.name = topic;
        t.partitions = op.partitions;
        t.replication_factor = 1;  // one replica per partition until replication lands
        t.configs = op.configs;
        finish_op(rt, i, admin.create_topic(t));
      } else if (roll < 45) {
        op.kind = AdminOpKind::remove;
        const size_t i = begin_op(rt, op);
        finish_op(rt, i, admin.delete_topic(topic));
      } else if (roll < 60) {
        op.kind = AdminOpKind::add_partitions;
        op.partitions = static_cast<int32_t>(rng.between(2, 8));
        const size_t i = begin_op(rt, op);
        finish_op(rt, i, admin.create_partitions(topic, op.partitions));
      } else if (roll < 85) {
        op.kind = AdminOpKind::alter;
        const auto& c = churn_configs()[rng.below(churn_configs().size())];
        const std::string value = c.values[rng.below(c.values.size())];
        op.configs[c.name] = o_.planted_wrong_config ? value + "1" : value;
        const size_t i = begin_op(rt, op);
        // ops_ is a deque: the op stays put while the call suspends.
        finish_op(rt, i, admin.alter_topic_configs(topic, {{c.name, value}}, &ops_[i].written));
      } else {
        op.kind = AdminOpKind::describe;
        const size_t i = begin_op(rt, op);
        auto d = admin.describe_topic(topic);
        if (d.ok()) ops_[i].seen_partitions = static_cast<int32_t>(d->partitions.size());
        finish_op(rt, i, d.ok() ? client::ClientStatus() : client::ClientStatus(d.error()));
      }
      const auto gap = static_cast<int64_t>(rng.below(static_cast<uint64_t>(o_.ops_gap.ns)) + 1);
      if (!rt.sleep_for(Duration{gap}).ok()) return;
    }
  }

  // Writes to the churned topics; every error is legal (a topic may be gone at any time),
  // so nothing is recorded.
  void run_producer(Runtime& rt) {
    client::ProducerOptions po;
    po.max_block = Duration::seconds(1);
    po.request_timeout = Duration::seconds(2);
    po.delivery_timeout = Duration::seconds(5);
    client::Producer producer(rt, client_options(), po);
    std::vector<client::DeliveryFuture> pending;
    uint64_t seq = 0;
    while (rt.now() < end_ - Duration::seconds(2)) {
      client::ProducerRecord rec;
      rec.topic = names_[rt.rng().below(names_.size())];
      const std::string value = fmt::format("{}-{}", rt.node_name(), ++seq);
      rec.value = Bytes(value.begin(), value.end());
      auto f = producer.send(std::move(rec));
      if (f.ok()) pending.push_back(std::move(f.value()));
      // Settle the oldest answers so the list stays short; their outcome does not matter.
      while (!pending.empty() && (pending.size() > 64 || pending.front().ready())) {
        (void)pending.front().get();
        pending.erase(pending.begin());
      }
      if (!rt.sleep_for(Duration::millis(rt.rng().between(5, 50))).ok()) return;
    }
  }

  // After the run: describe every churned topic once a second for 40 s, keeping the latest
  // complete view. The brokers lose power and restart shortly after the end, and a delete
  // may still be in progress: the latest view is the settled one, and it must also be the
  // one after the restart (stopping at the first two equal views could miss a create the
  // power loss undid).
  void run_verifier(Runtime& rt) {
    if (!rt.sleep_until(end_).ok()) return;
    client::AdminOptions ao;
    ao.timeout = Duration::seconds(5);
    client::Admin admin(rt, client_options(), ao);
    const Instant give_up = end_ + Duration::seconds(40);
    while (rt.now() < give_up) {
      auto view = read_view(admin);
      if (view) {
        rt.trace("workload.admin_verify",
                 {{"changed", final_view_ && *final_view_ != *view ? 1 : 0}});
        final_view_ = std::move(view);
      }
      if (!rt.sleep_for(Duration::seconds(1)).ok()) return;
    }
  }

  std::optional<std::map<std::string, TopicView>> read_view(client::Admin& admin) const {
    std::map<std::string, TopicView> view;
    for (const auto& name : names_) {
      TopicView v;
      auto d = admin.describe_topic(name);
      if (!d.ok()) {
        if (d.error() == protocol::ErrorCode::unknown_topic_or_partition) {
          view[name] = v;
          continue;
        }
        return std::nullopt;
      }
      v.exists = true;
      v.partitions = static_cast<int32_t>(d->partitions.size());
      auto cfg = admin.describe_configs(client::kResourceTopic, name);
      if (!cfg.ok()) return std::nullopt;
      for (const auto& e : cfg.value())
        for (const auto& c : churn_configs())
          if (e.name == c.name && !e.is_default && e.value) v.overrides[e.name] = *e.value;
      view[name] = v;
    }
    return view;
  }

  // What a producer's metadata request may have made of an absent topic: the broker's
  // default partition count (any, here) and no overrides. May or may not exist.
  static Belief autocreated() {
    Belief b = Belief::created(1, {});
    b.hi = std::numeric_limits<int32_t>::max();
    b.exists = Belief::Exists::unknown;
    b.why.push_back("(may be auto-created by the producer)");
    return b;
  }

  // A topic that may be absent: a producer's metadata request may auto-create it again
  // with the broker's defaults (any partition count, no overrides).
  void may_autocreate(Belief& b) const {
    if (!o_.produce || b.exists == Belief::Exists::yes) return;
    std::vector<std::string> why = std::move(b.why);
    if (b.exists == Belief::Exists::no) b = autocreated();
    else b.merge(autocreated());
    b.exists = Belief::Exists::unknown;
    b.why = std::move(why);
  }

  // One op of the log applied to the belief about its topic; contradictions between
  // definite answers are violations right away.
  void apply(const AdminOp& op, Belief& b, std::vector<Violation>& out) const {
    using E = Belief::Exists;
    const bool ok = op.outcome == Outcome::ok;
    const bool unknown = op.outcome == Outcome::pending || op.outcome == Outcome::indeterminate;
    const bool gone =
        op.outcome == Outcome::failed &&
        op.kafka_code == protocol::to_wire(protocol::ErrorCode::unknown_topic_or_partition);
    auto contradiction = [&](std::string_view what) {
      out.push_back({"admin_churn",
                     fmt::format("{}: {} ({}; after {})", op.topic, what, op.to_string(),
                                 b.why.empty() ? "nothing" : b.why.back()),
                     op.time_ns});
    };
    if (op.kind == AdminOpKind::describe) return;  // metadata may lag: recorded, not judged
    // The same for an alter that failed in its read: nothing was written, and with several
    // brokers "unknown topic" may be a lagging image (Kafka's metadata is not linearizable
    // across brokers). With one broker the image is the controller's: judged.
    if (op.read_step_failed && stale_reads_) return;
    const std::string line = op.to_string();
    if (gone && op.kind != AdminOpKind::create) {
      if (b.exists == E::yes) contradiction("a topic known to exist was missing");
      b.exists = E::no;
      may_autocreate(b);
      b.why.push_back(line);
      return;
    }
    if (op.outcome == Outcome::failed) return;  // refused: nothing changed
    switch (op.kind) {
      case AdminOpKind::create: {
        const Belief made = Belief::created(op.partitions, op.configs);
        if (ok) {
          if (b.exists == E::yes) contradiction("created a topic that already existed");
          b = made;
        } else if (b.exists == E::no) {
          b = made;
          b.exists = E::unknown;
        } else if (b.exists == E::unknown) {
          b.merge(made);
        }
        break;
      }
      case AdminOpKind::remove:
        if (ok) {
          if (b.exists == E::no) contradiction("deleted a topic known to be absent");
          b.exists = E::no;
        } else if (b.exists != E::no) {
          b.exists = E::unknown;
        }
        may_autocreate(b);
        break;
      case AdminOpKind::add_partitions:
        if (ok) {
          if (b.exists == E::no) contradiction("added partitions to a topic known to be absent");
          if (b.exists == E::yes && b.lo >= op.partitions)
            contradiction(fmt::format("grew a topic of at least {} partitions to {}", b.lo,
                                      op.partitions));
          b.exists = E::yes;
          b.lo = b.hi = op.partitions;
        } else if (unknown && b.exists != E::no) {
          b.hi = std::max(b.hi, op.partitions);
        }
        break;
      case AdminOpKind::alter:
        // AlterConfigs replaces the whole override set, which the admin client read first.
        // With several brokers that read may come from an image that lags the controller
        // (legal: Kafka's DescribeConfigs is answered from any broker's metadata cache), and
        // the write then reverts a newer override (quorum-3-combined seed 96: b3 had not
        // applied retention.ms=1000 yet). So the belief takes what was written, every
        // churned key, not only the key the op meant to set.
        if (ok) {
          if (b.exists == E::no) contradiction("altered configs of a topic known to be absent");
          b.exists = E::yes;
          if (op.written && stale_reads_) {
            for (const auto& c : churn_configs()) {
              auto w = op.written->find(c.name);
              b.configs[c.name] = w == op.written->end()
                                      ? std::nullopt
                                      : std::optional<std::string>(w->second);
            }
          }
          for (const auto& [k, v] : op.configs) b.configs[k] = v;
        } else if (unknown) {
          for (const auto& [k, v] : op.configs) b.configs.erase(k);
          // It may have written a stale read's overrides: a key that differs is unknown.
          // (No `written`: the AlterConfigs never went out.)
          for (const auto& c : churn_configs()) {
            if (!stale_reads_ || !op.written) break;
            auto have = b.configs.find(c.name);
            if (have == b.configs.end()) continue;
            auto w = op.written->find(c.name);
            const std::optional<std::string> sent =
                w == op.written->end() ? std::nullopt : std::optional<std::string>(w->second);
            if (sent != have->second) b.configs.erase(have);
          }
        }
        break;
      case AdminOpKind::describe: break;
    }
    b.why.push_back(line);
  }

  void judge(const std::string& topic, const Belief& b, const TopicView& v,
             std::vector<Violation>& out) const {
    using E = Belief::Exists;
    auto fail = [&](const std::string& what) {
      std::string ops;
      // The last few ops that shaped the belief: enough to follow the story.
      const size_t from = b.why.size() > 4 ? b.why.size() - 4 : 0;
      for (size_t i = from; i < b.why.size(); ++i) ops += (ops.empty() ? "" : "; ") + b.why[i];
      out.push_back({"admin_churn",
                     fmt::format("{}: {} (last ops: {})", topic, what,
                                 ops.empty() ? "none" : ops),
                     end_.ns});
    };
    if (b.exists == E::yes && !v.exists) return fail("exists per the ops but is missing");
    if (b.exists == E::no && v.exists) return fail("was deleted per the ops but exists");
    if (!v.exists) return;
    if (v.partitions < b.lo || v.partitions > b.hi)
      fail(b.lo == b.hi ? fmt::format("has {} partitions, the ops say {}", v.partitions, b.lo)
                        : fmt::format("has {} partitions, the ops say {}..{}", v.partitions,
                                      b.lo, b.hi));
    for (const auto& [key, want] : b.configs) {
      auto it = v.overrides.find(key);
      const std::optional<std::string> got =
          it == v.overrides.end() ? std::nullopt : std::optional<std::string>(it->second);
      if (got != want)
        fail(fmt::format("{} is {}, the ops say {}", key, got.value_or("(default)"),
                         want.value_or("(default)")));
    }
  }

  AdminChurnOptions o_;
  std::vector<Address> bootstrap_;
  bool stale_reads_ = false;  // several brokers: a read may see a lagging image
  Instant end_;
  std::vector<std::string> names_;
  std::deque<AdminOp> ops_;
  std::optional<std::map<std::string, TopicView>> final_view_;
};

}  // namespace

WorkloadType admin_churn_workload_type() {
  return {"admin-churn",
          "an admin client creating, deleting, growing and reconfiguring topics during the "
          "faults; check() compares the final topics with the operations that succeeded",
          "topics=N prefix=NAME ops_gap=DUR produce=on|off planted_wrong_config=on|off",
          [](const WorkloadOptions& in) -> Result<std::unique_ptr<Workload>> {
            WorkloadOptions opts = in;
            AdminChurnOptions o;
            o.topics = static_cast<int>(opts.get_int("topics", o.topics, 1, 64));
            o.prefix = opts.get_string("prefix", o.prefix);
            o.ops_gap = opts.get_duration("ops_gap", o.ops_gap);
            o.produce = opts.get_bool("produce", o.produce);
            o.planted_wrong_config = opts.get_bool("planted_wrong_config", false);
            TERN_TRY(opts.finish("admin-churn"));
            if (o.ops_gap.ns <= 0)
              return Error(Errc::invalid_argument, "workload admin-churn: ops_gap must be > 0");
            return std::unique_ptr<Workload>(std::make_unique<AdminChurnWorkload>(std::move(o)));
          }};
}

}  // namespace tern::scenarios
