// Goal: meta.properties is Kafka's file, written atomically, and the storage checks refuse
// exactly what Kafka refuses (unformatted dirs, a foreign cluster, another node's dirs, a
// corrupt file) while adopting older tern data dirs. Method: every test runs the functions
// on a node's simulated disk; the crash test crashes the node at every point of a rewrite
// and reads the file back after the restart.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "broker/base/bytes.h"
#include "broker/server/config.h"
#include "broker/server/meta_properties.h"
#include "broker/server/metadata_store.h"
#include "sim/simulated/world.h"

namespace tern::server {
namespace {

// One node on a simulated disk; each run() is a fresh incarnation of the node (a restart on
// the same durable disk) executing `body`.
class DiskNode {
 public:
  explicit DiskNode(uint64_t seed = 1)
      : world_(sim::World::Options{.seed = seed, .trace = {}}) {
    id_ = world_.add_node("n1", [this](Runtime& rt) {
      if (body_) body_(rt);
    });
  }

  // Runs `body` to the end; with `crash_after`, the node loses power that long after the
  // start (if the body is done by then, the crash loses nothing it synced).
  void run(std::function<void(Runtime&)> body, std::optional<Duration> crash_after = {},
           sim::CrashOptions crash = {}) {
    if (world_.node_up(id_)) world_.crash_node(id_, {});
    body_ = std::move(body);
    world_.start_node(id_);
    if (crash_after) {
      world_.at(world_.now() + *crash_after, [this, crash] {
        if (world_.node_up(id_)) world_.crash_node(id_, crash);
      });
    }
    world_.run_until_idle();
  }

  // Writes raw bytes as a file (for damaged or foreign files).
  void put(const std::string& path, std::string_view text) {
    run([&](Runtime& rt) {
      const size_t slash = path.rfind('/');
      if (slash != std::string::npos) {
        ASSERT_TRUE(rt.disk().make_dirs(path.substr(0, slash)).ok());
        ASSERT_TRUE(rt.disk().fsync_dir("").ok());  // the new dir's name (one level deep)
      }
      auto f = rt.disk().open(path, OpenMode::create);
      ASSERT_TRUE(f.ok());
      ASSERT_TRUE(f.value()->truncate(0).ok());
      ASSERT_TRUE(f.value()->append(as_bytes(text)).ok());
      ASSERT_TRUE(f.value()->fsync().ok());
      ASSERT_TRUE(rt.disk().fsync_dir(slash == std::string::npos ? "" : path.substr(0, slash))
                      .ok());
    });
  }

 private:
  sim::World world_;
  uint32_t id_ = 0;
  std::function<void(Runtime&)> body_;
};

BrokerConfig config_with(std::initializer_list<const char*> settings) {
  BrokerConfig c;
  for (const char* s : settings) {
    Status st = apply_override(c, s);
    EXPECT_TRUE(st.ok()) << s << ": " << st.error().message();
  }
  return c;
}

constexpr std::string_view kClusterA = "MkU3OEVBNTcwNTJENDM2Qg";
constexpr std::string_view kClusterB = "J8aAPcfLQt2bqs1JT_rMgQ";

TEST(KafkaUuid, Base64RoundTripAndValidation) {
  protocol::Uuid id;
  for (size_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<uint8_t>(i * 17 + 3);
  const std::string text = uuid_to_base64(id);
  auto back = uuid_from_base64(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), id);
  EXPECT_TRUE(validate_cluster_id(kClusterA).ok());
  EXPECT_TRUE(validate_cluster_id(kClusterB).ok());
  // Too short, too long, a character outside base64url, a last character with stray bits.
  for (std::string_view bad : {"MkU3OEVBNTcwNTJENDM2Q", "MkU3OEVBNTcwNTJENDM2Qgg",
                               "MkU3OEVBNTcwNTJENDM2Q+", "MkU3OEVBNTcwNTJENDM2Qh", "", "abc"}) {
    Status s = validate_cluster_id(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.error().context().find("is not a valid uuid"), std::string::npos)
        << s.error().context();
  }
  EXPECT_FALSE(validate_cluster_id("AAAAAAAAAAAAAAAAAAAAAA").ok());  // the zero uuid
}

TEST(KafkaUuid, RandomUuidsAreUsableAndSeeded) {
  Rng rng(7);
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string s = uuid_to_base64(random_kafka_uuid(rng));
    EXPECT_NE(s.front(), '-');
    EXPECT_TRUE(validate_cluster_id(s).ok()) << s;
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 2000u);
  Rng a(9), b(9);
  EXPECT_EQ(random_kafka_uuid(a), random_kafka_uuid(b));
}

TEST(MetaProperties, EncodesKafkasFormatAndReadsKafkasFile) {
  MetaProperties m{1, std::string(kClusterA), 3, std::string(kClusterB)};
  const std::string text = encode_meta_properties(m);
  EXPECT_EQ(text,
            "#\n#Written by tern storage format\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n"
            "directory.id=J8aAPcfLQt2bqs1JT_rMgQ\nnode.id=3\nversion=1\n");
  auto back = decode_meta_properties(text);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back.value(), m);
  // What Kafka 3.7 writes: a date comment, keys in hash order.
  auto kafka = decode_meta_properties(
      "#\n#Tue Apr 09 10:11:12 UTC 2024\nnode.id=1\ndirectory.id=J8aAPcfLQt2bqs1JT_rMgQ\n"
      "version=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n");
  ASSERT_TRUE(kafka.ok()) << kafka.error().message();
  EXPECT_EQ(kafka.value().node_id, 1);
  EXPECT_EQ(kafka.value().cluster_id, kClusterA);
  // Kafka before 3.7 wrote no directory.id.
  auto old = decode_meta_properties("version=1\ncluster.id=x\nnode.id=2\n");
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old.value().directory_id.empty());
}

TEST(MetaProperties, CorruptFilesAreRefused) {
  const char* cases[][2] = {
      {"", "no version"},
      {"cluster.id=x\nnode.id=1\n", "no version"},
      {"version=1\nnode.id=1\n", "no cluster.id"},
      {"version=1\ncluster.id=x\n", "no node.id"},
      {"version=one\ncluster.id=x\nnode.id=1\n", "version is not a number"},
      {"version=0\nbroker.id=1\ncluster.id=x\n", "version 0 is not supported"},
      {"version=1\ncluster.id=x\nnode.id=-4\n", "node.id '-4'"},
      {"version=1\ncluster.id=x\nnode.id=1\ndirectory.id=zz\n", "directory.id 'zz'"},
      {"version=1\ncluster.id=x\nnode.id=1\ngarbage\n", "line 4 is not key=value"},
  };
  for (const auto& [text, why] : cases) {
    auto r = decode_meta_properties(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.code(), Errc::corrupt);
    EXPECT_NE(r.error().context().find(why), std::string::npos) << r.error().context();
  }
  // On disk: read and check name the dir; format refuses to overwrite it.
  DiskNode node;
  node.put("data/meta.properties", "version=1\ncluster.id=x\n\x01\x02 torn");
  const BrokerConfig c = config_with({"log.dirs=data"});
  node.run([&](Runtime& rt) {
    auto r = read_meta_properties(rt.disk(), "data");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::corrupt);
    EXPECT_NE(r.error().context().find("meta.properties in data is corrupt"), std::string::npos)
        << r.error().context();
    std::string id;
    Status s = check_storage(rt.disk(), rt.rng(), c, id);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().context().find("meta.properties in data is corrupt"), std::string::npos);
    EXPECT_FALSE(format_storage(rt.disk(), rt.rng(), c, kClusterA, IgnoreFormatted::yes).ok());
    EXPECT_FALSE(auto_format_if_unformatted(rt.disk(), rt.rng(), c, id).ok());
  });
}

TEST(MetaProperties, WriteThenReadAndMissingFile) {
  DiskNode node;
  node.run([](Runtime& rt) {
    auto none = read_meta_properties(rt.disk(), "nowhere");
    EXPECT_EQ(none.code(), Errc::not_found);
    MetaProperties m{1, std::string(kClusterA), 2, std::string(kClusterB)};
    ASSERT_TRUE(write_meta_properties(rt.disk(), "a/b/c", m).ok());
    auto back = read_meta_properties(rt.disk(), "a/b/c");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back.value(), m);
  });
  // Durable: the new directories and the file survive a power loss right after.
  node.run([](Runtime& rt) {
    auto back = read_meta_properties(rt.disk(), "a/b/c");
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back.value().node_id, 2);
  });
}

// A crash at any instant of a rewrite leaves the old file or the new one, never a mix, and
// never no file. Sweeps the crash time over the whole write (fsyncs take 200 us each) with
// the nastiest crash: unsynced prefixes kept and the last write torn.
TEST(MetaProperties, CrashDuringWriteLeavesOldOrNew) {
  const MetaProperties old_meta{1, std::string(kClusterA), 1, std::string(kClusterB)};
  const MetaProperties new_meta{1, std::string(kClusterB), 1, std::string(kClusterA)};
  int saw_old = 0, saw_new = 0;
  for (int64_t us = 0; us <= 1000; us += 10) {
    DiskNode node(static_cast<uint64_t>(us) + 1);
    node.run([&](Runtime& rt) {
      ASSERT_TRUE(write_meta_properties(rt.disk(), "data", old_meta).ok());
    });
    node.run([&](Runtime& rt) { (void)write_meta_properties(rt.disk(), "data", new_meta); },
             Duration::micros(us),
             sim::CrashOptions{.keep_unsynced_prefix = true, .tear_last_write = true});
    node.run([&](Runtime& rt) {
      auto back = read_meta_properties(rt.disk(), "data");
      ASSERT_TRUE(back.ok()) << "crash at " << us << "us: " << back.error().message();
      if (back.value() == old_meta) {
        ++saw_old;
      } else {
        EXPECT_EQ(back.value(), new_meta) << "crash at " << us << "us";
        ++saw_new;
      }
      // The next write still works over whatever temp file the crash left.
      ASSERT_TRUE(write_meta_properties(rt.disk(), "data", new_meta).ok());
    });
  }
  EXPECT_GT(saw_old, 0);  // the sweep really crashed inside the write...
  EXPECT_GT(saw_new, 0);  // ...and after it
}

TEST(StorageFormat, FormatsEveryDirOnceAndIgnoreFormattedSkips) {
  DiskNode node;
  const BrokerConfig c = config_with({"process.roles=broker,controller", "node.id=3",
                                      "controller.quorum.voters=3@localhost:9093",
                                      "controller.listener.names=CONTROLLER",
                                      "listeners=PLAINTEXT://:9092,CONTROLLER://:9093",
                                      "log.dirs=d1,d2", "metadata.log.dir=meta"});
  ASSERT_TRUE(validate(c).ok()) << validate(c).error().message();
  node.run([&](Runtime& rt) {
    // A bad id writes nothing.
    auto bad = format_storage(rt.disk(), rt.rng(), c, "not-a-uuid");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().context().find("not a valid uuid"), std::string::npos);
    EXPECT_FALSE(rt.disk().exists("d1"));
    std::string id;
    Status unformatted = check_storage(rt.disk(), rt.rng(), c, id);
    ASSERT_FALSE(unformatted.ok());
    EXPECT_EQ(unformatted.error().context(),
              "d1 is not formatted: run `tern storage format --cluster-id ID --config "
              "server.properties`");

    auto r = format_storage(rt.disk(), rt.rng(), c, kClusterA);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r.value().formatted, (std::vector<std::string>{"d1", "d2", "meta"}));
    std::set<std::string> dir_ids;
    for (const std::string& d : c.storage_dirs()) {
      auto m = read_meta_properties(rt.disk(), d);
      ASSERT_TRUE(m.ok()) << d;
      EXPECT_EQ(m.value().cluster_id, kClusterA);
      EXPECT_EQ(m.value().node_id, 3);
      EXPECT_EQ(m.value().version, 1);
      EXPECT_TRUE(uuid_from_base64(m.value().directory_id).ok());
      dir_ids.insert(m.value().directory_id);
    }
    EXPECT_EQ(dir_ids.size(), 3u);
    ASSERT_TRUE(check_storage(rt.disk(), rt.rng(), c, id).ok());
    EXPECT_EQ(id, kClusterA);

    auto again = format_storage(rt.disk(), rt.rng(), c, kClusterA);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().context(),
              "log directory d1 is already formatted. Use --ignore-formatted to ignore this "
              "directory and format the others.");
    auto skipped = format_storage(rt.disk(), rt.rng(), c, kClusterA, IgnoreFormatted::yes);
    ASSERT_TRUE(skipped.ok());
    EXPECT_TRUE(skipped.value().formatted.empty());
    EXPECT_EQ(skipped.value().skipped.size(), 3u);
    // --ignore-formatted never reformats a dir for another cluster.
    auto foreign = format_storage(rt.disk(), rt.rng(), c, kClusterB, IgnoreFormatted::yes);
    ASSERT_FALSE(foreign.ok());
    EXPECT_NE(foreign.error().context().find("formatted for cluster.id"), std::string::npos);
  });
  // A new log dir: check refuses it, --ignore-formatted formats just it.
  BrokerConfig grown = c;
  ASSERT_TRUE(apply_override(grown, "log.dirs=d1,d2,d3").ok());
  node.run([&](Runtime& rt) {
    std::string id;
    Status s = check_storage(rt.disk(), rt.rng(), grown, id);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().context().find("d3 is not formatted"), std::string::npos);
    auto r = format_storage(rt.disk(), rt.rng(), grown, kClusterA, IgnoreFormatted::yes);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r.value().formatted, std::vector<std::string>{"d3"});
    EXPECT_TRUE(check_storage(rt.disk(), rt.rng(), grown, id).ok());
  });
}

TEST(StorageCheck, ForeignClusterAndOtherNodeAreRefused) {
  DiskNode node;
  const BrokerConfig c = config_with({"node.id=2", "log.dirs=d1,d2"});
  node.put("d1/meta.properties", encode_meta_properties({1, std::string(kClusterA), 2, ""}));
  node.put("d2/meta.properties", encode_meta_properties({1, std::string(kClusterB), 2, ""}));
  node.run([&](Runtime& rt) {
    std::string id;
    Status s = check_storage(rt.disk(), rt.rng(), c, id);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().context(),
              "meta.properties cluster.id J8aAPcfLQt2bqs1JT_rMgQ in d2 does not match "
              "cluster.id MkU3OEVBNTcwNTJENDM2Qg in d1");
    EXPECT_FALSE(auto_format_if_unformatted(rt.disk(), rt.rng(), c, id).ok());
  });
  node.put("d2/meta.properties", encode_meta_properties({1, std::string(kClusterA), 3, ""}));
  node.run([&](Runtime& rt) {
    std::string id;
    Status s = check_storage(rt.disk(), rt.rng(), c, id);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().context(),
              "node.id mismatch in d2 (meta.properties says 3, config says 2)");
  });
  // Two dirs with one directory.id: a copied dir.
  const std::string copied =
      encode_meta_properties({1, std::string(kClusterA), 2, std::string(kClusterB)});
  node.put("d1/meta.properties", copied);
  node.put("d2/meta.properties", copied);
  node.run([&](Runtime& rt) {
    std::string id;
    Status s = check_storage(rt.disk(), rt.rng(), c, id);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().context().find("directory.id J8aAPcfLQt2bqs1JT_rMgQ is in both d1 and "
                                       "d2"),
              std::string::npos)
        << s.error().context();
  });
}

TEST(StorageCheck, MissingDirectoryIdsAreFilledIn) {
  DiskNode node;
  const BrokerConfig c = config_with({"node.id=2", "log.dirs=d1"});
  node.put("d1/meta.properties", "version=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\nnode.id=2\n");
  node.run([&](Runtime& rt) {
    std::string id;
    ASSERT_TRUE(check_storage(rt.disk(), rt.rng(), c, id).ok());
    EXPECT_EQ(id, kClusterA);
    auto m = read_meta_properties(rt.disk(), "d1");
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(uuid_from_base64(m.value().directory_id).ok());
  });
}

// A data dir of an older tern: tern-metadata with a cluster id, no meta.properties. It counts
// as formatted with that cluster id, and meta.properties appears on the first start.
TEST(StorageCheck, OlderTernDataDirIsAdopted) {
  DiskNode node;
  const BrokerConfig c = config_with({"node.id=1", "log.dirs=tern-data,extra"});
  ClusterMetadata legacy;
  legacy.cluster_id = std::string(kClusterB);
  legacy.next_producer_id = 1000;
  node.run([&](Runtime& rt) {
    ASSERT_TRUE(save_metadata(rt.disk(), "tern-data", legacy).ok());
    auto info = inspect_storage(rt.disk(), c);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info.value()[0].state, DirState::legacy);
    EXPECT_EQ(info.value()[0].legacy_cluster_id, kClusterB);
    EXPECT_EQ(info.value()[1].state, DirState::missing);
    auto f = format_storage(rt.disk(), rt.rng(), c, kClusterA);
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().context().find("older tern"), std::string::npos);
    std::string id;
    ASSERT_TRUE(check_storage(rt.disk(), rt.rng(), c, id).ok());
    EXPECT_EQ(id, kClusterB);
  });
  node.run([&](Runtime& rt) {
    for (const char* dir : {"tern-data", "extra"}) {
      auto m = read_meta_properties(rt.disk(), dir);
      ASSERT_TRUE(m.ok()) << dir;
      EXPECT_EQ(m.value().cluster_id, kClusterB);
      EXPECT_EQ(m.value().node_id, 1);
    }
    auto meta = load_metadata(rt.disk(), "tern-data");  // left as it was
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(meta.value(), legacy);
  });
}

TEST(StorageAutoFormat, OneNodeClusterFormatsItselfOnce) {
  std::string first_id;
  auto run_fresh = [](uint64_t seed) {
    std::string id;
    DiskNode node(seed);
    const BrokerConfig c;  // `tern broker` without arguments
    node.run([&](Runtime& rt) {
      ASSERT_TRUE(auto_format_if_unformatted(rt.disk(), rt.rng(), c, id).ok());
    });
    std::string again;
    MetaProperties before;
    node.run([&](Runtime& rt) {
      auto m = read_meta_properties(rt.disk(), "tern-data");
      ASSERT_TRUE(m.ok());
      before = m.value();
      ASSERT_TRUE(auto_format_if_unformatted(rt.disk(), rt.rng(), c, again).ok());
      EXPECT_EQ(read_meta_properties(rt.disk(), "tern-data").value(), before);  // untouched
      std::string checked;
      ASSERT_TRUE(check_storage(rt.disk(), rt.rng(), c, checked).ok());
      EXPECT_EQ(checked, id);
    });
    EXPECT_EQ(again, id);
    EXPECT_EQ(before.cluster_id, id);
    EXPECT_EQ(before.node_id, 1);
    return id;
  };
  first_id = run_fresh(5);
  EXPECT_TRUE(validate_cluster_id(first_id).ok()) << first_id;
  EXPECT_EQ(run_fresh(5), first_id);   // the seed decides the id
  EXPECT_NE(run_fresh(6), first_id);
}

TEST(StorageAutoFormat, AdoptsOlderTernDataAndFormatsNewDirsWithItsId) {
  DiskNode node;
  const BrokerConfig c = config_with({"log.dirs=data", "metadata.log.dir=meta"});
  ClusterMetadata legacy;
  legacy.cluster_id = std::string(kClusterA);
  node.run([&](Runtime& rt) {
    ASSERT_TRUE(save_metadata(rt.disk(), "data", legacy).ok());
    std::string id;
    ASSERT_TRUE(auto_format_if_unformatted(rt.disk(), rt.rng(), c, id).ok());
    EXPECT_EQ(id, kClusterA);
    EXPECT_EQ(read_meta_properties(rt.disk(), "meta").value().cluster_id, kClusterA);
  });
}

}  // namespace
}  // namespace tern::server
