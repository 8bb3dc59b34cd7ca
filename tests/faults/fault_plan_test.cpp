// Goal: a fault plan survives text exactly (random plans -> text -> parse -> equal, and the
// text is canonical), and every kind of malformed input gets a clear one-line error that
// names the line. Method: a RapidCheck round trip plus one scripted case per error class.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>

#include "faults/fault_plan.h"
#include "tests/faults/fault_gen.h"

namespace tern::faults {
namespace {

RC_GTEST_PROP(FaultPlan, TextRoundTripsExactly, ()) {
  const FaultPlan plan = *test::gen_plan();
  const std::string text = plan.to_text();
  auto parsed = FaultPlan::parse(text);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(parsed.value() == plan);
  RC_ASSERT(parsed.value().to_text() == text);
}

RC_GTEST_PROP(FaultPlan, SecondsRoundTrip, ()) {
  const auto ns = *rc::gen::inRange<int64_t>(-9'000'000'000'000'000'000,
                                             9'000'000'000'000'000'000);
  auto back = parse_seconds(format_seconds(ns));
  RC_ASSERT(back.ok());
  RC_ASSERT(back.value() == ns);
}

TEST(FaultPlan, ExampleLineFormat) {
  FaultPlan plan;
  plan.add(make_partition(Instant{2'000'000'000}, {"b1", "c1"}, {"b2"}, false,
                          Duration::millis(500)));
  plan.add(make_crash(Instant{1'250'000'000}, "b1", true, false));
  EXPECT_EQ(plan.to_text(),
            "1.250000000 crash node=b1 keep_unsynced=1 tear=0 half_open=0\n"
            "2.000000000 partition a=b1,c1 b=b2 one_way=0 duration=0.500000000\n");
}

TEST(FaultPlan, ParsesCommentsBlanksShortDecimalsAndAnyKeyOrder) {
  const char* text =
      "# a plan written by hand\n"
      "\n"
      "  1.25   crash tear=0 half_open=0 node=b1 keep_unsynced=1   # the leader\r\n"
      "2 heal\n"
      "3.5 skew node=b2 amount=-0.25\n";
  auto plan = FaultPlan::parse(text);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  ASSERT_EQ(plan.value().size(), 3u);
  EXPECT_EQ(plan.value()[0], make_crash(Instant{1'250'000'000}, "b1", true, false));
  EXPECT_EQ(plan.value()[1], make_heal(Instant{2'000'000'000}));
  EXPECT_EQ(plan.value()[2], make_skew(Instant{3'500'000'000}, "b2", Duration::millis(-250)));
  EXPECT_EQ(plan.value().to_text(),
            "1.250000000 crash node=b1 keep_unsynced=1 tear=0 half_open=0\n"
            "2.000000000 heal\n"
            "3.500000000 skew node=b2 amount=-0.250000000\n");
}

TEST(FaultPlan, TriggersAndSettingsParseAndPrintCanonically) {
  const char* text =
      "set duration 12.5\n"
      "set drop-workload 0,2\n"
      "# the brief's example, keys shuffled, nth/delay/within defaulted on the second line\n"
      "1.0 crash node=b1 keep_unsynced=0 tear=0 half_open=1 within=2 on=b1 "
      "event=log.fsync.start nth=1 delay=0.000150000 match=topic:events restart_after=0.5\n"
      "1.5 break_connection a=b1 b=c1 on=b1 event=fetch.respond match=client:c1\n"
      "2 block links=b1>b2,c1>b3 duration=0.5\n"
      "3 bridge a=b1,c1 b=b3 via=b2 duration=1\n";
  auto plan = FaultPlan::parse(text);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  const FaultPlan& p = plan.value();
  EXPECT_EQ(p.settings().at("duration"), "12.5");
  EXPECT_EQ(p.settings().at("drop-workload"), "0,2");
  ASSERT_EQ(p.size(), 4u);
  ASSERT_TRUE(p[0].trigger.has_value());
  EXPECT_EQ(p[0].trigger->nth, 1u);
  EXPECT_EQ(p[0].trigger->delay, Duration::micros(150));
  EXPECT_EQ(p[0].trigger->within, Duration::seconds(2));
  EXPECT_EQ(p[0].trigger->match_field, "topic");
  EXPECT_EQ(p[0].trigger->match_value, "events");
  EXPECT_TRUE(p[0].half_open);
  EXPECT_EQ(p[0].restart_after, Duration::millis(500));
  EXPECT_EQ(p[0].latest_start(), Instant{3'000'150'000});
  EXPECT_EQ(p[1].trigger->within, Duration{0});
  EXPECT_EQ(p[1].latest_start(), Instant::never());
  EXPECT_EQ(p.to_text(),
            "set drop-workload 0,2\n"
            "set duration 12.5\n"
            "1.000000000 crash node=b1 keep_unsynced=0 tear=0 half_open=1 "
            "restart_after=0.500000000 on=b1 event=log.fsync.start nth=1 delay=0.000150000 "
            "within=2.000000000 match=topic:events\n"
            "1.500000000 break_connection a=b1 b=c1 on=b1 event=fetch.respond nth=1 "
            "delay=0.000000000 within=0.000000000 match=client:c1\n"
            "2.000000000 block links=b1>b2,c1>b3 duration=0.500000000\n"
            "3.000000000 bridge a=b1,c1 b=b3 via=b2 duration=1.000000000\n");
  auto again = FaultPlan::parse(p.to_text());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value(), p);
  // Settings are part of the plan: a different value is a different plan.
  FaultPlan q = p;
  q.set("duration", "6");
  EXPECT_NE(q, p);
  q.unset("duration");
  EXPECT_EQ(q.settings().count("duration"), 0u);
}

TEST(FaultPlan, EveryKindParses) {
  // The example of faults/README.md: one line of each kind.
  const char* text =
      "# network\n"
      "0.100000000 latency min=0.000100000 max=0.002000000          # until heal_all\n"
      "0.200000000 latency_spike extra=0.300000000 duration=1.000000000\n"
      "0.300000000 clog from=b1 to=c1 duration=0.500000000\n"
      "0.400000000 break_connection a=b1 b=c1\n"
      "0.500000000 partition a=b1 b=b2,b3,c1 one_way=0 duration=0     # 0: until heal\n"
      "0.600000000 block links=b1>b2,c1>b3 duration=0.500000000       # directed links\n"
      "0.700000000 bridge a=b1,c1 b=b3 via=b2 duration=1.000000000    # b2 reaches both\n"
      "# process\n"
      "1.250000000 crash node=b1 keep_unsynced=1 tear=0 half_open=0\n"
      "2.000000000 heal\n"
      "3.000000000 restart node=b1\n"
      "3.100000000 pause node=b2 duration=0.400000000                 # 0: until heal_all\n"
      "# disk (duration 0: until heal_all)\n"
      "4.000000000 fsync_error node=b2 ppm=10000 duration=1.000000000\n"
      "4.000000000 slow_io node=b2 latency=0.020000000 duration=1.000000000\n"
      "4.000000000 bitflip node=b3 ppm=100 duration=1.000000000\n"
      "4.000000000 disk_full node=b3 capacity=1048576 duration=1.000000000\n"
      "# clock\n"
      "5.000000000 skew node=b1 amount=-2.500000000                   # replaces the skew\n"
      "5.500000000 jump node=b1 amount=30.000000000                   # adds to it\n"
      "8.000000000 heal_all\n";
  auto plan = FaultPlan::parse(text);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  std::set<FaultKind> kinds;
  for (const auto& f : plan.value().faults()) kinds.insert(f.kind);
  EXPECT_EQ(kinds.size(), static_cast<size_t>(kFaultKindCount));
  auto again = FaultPlan::parse(plan.value().to_text());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value(), plan.value());
}

TEST(FaultPlan, EmptyTextIsAnEmptyPlan) {
  auto plan = FaultPlan::parse("# nothing\n\n");
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan.value().empty());
}

// Each malformed input and a piece of the one-line error it must produce.
struct BadCase {
  const char* text;
  const char* error;
};

class ParseError : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseError, IsClearAndNamesTheLine) {
  auto plan = FaultPlan::parse(GetParam().text);
  ASSERT_FALSE(plan.ok()) << GetParam().text;
  const std::string msg = plan.error().context();
  EXPECT_NE(msg.find(GetParam().error), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
  EXPECT_EQ(plan.error().code(), Errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, ParseError,
    ::testing::Values(
        BadCase{"1.0 crsh node=b1", "line 1: unknown fault kind 'crsh'"},
        BadCase{"# c\n\n1.0 heal\n2.0 explode", "line 4: unknown fault kind 'explode'"},
        BadCase{"1.0 crash node=b1 tear=0", "line 1: crash: missing key 'keep_unsynced'"},
        BadCase{"1.0 crash node=b1 keep_unsynced=0 tear=0 half_open=0 color=red",
                "line 1: unknown key 'color' for crash (keys: node keep_unsynced tear "
                "half_open; optional: restart_after on event nth delay within match)"},
        BadCase{"1.0 restart node=b1 ppm=3", "unknown key 'ppm' for restart"},
        BadCase{"1.0 heal node=b1", "unknown key 'node' for heal (keys: none; optional: on"},
        BadCase{"1.0 restart node=b1 node=b2", "line 1: duplicate key 'node'"},
        BadCase{"1.0 crash node", "line 1: expected key=value, got 'node'"},
        BadCase{"1.0 crash =b1", "expected key=value, got '=b1'"},
        BadCase{"1.0", "line 1: expected '<seconds> <kind> key=value ...'"},
        BadCase{"x.5 heal", "line 1: bad time 'x.5'"},
        BadCase{"-1.0 heal", "line 1: bad time '-1.0'"},
        BadCase{"1.0000000001 heal", "bad time '1.0000000001'"},
        BadCase{"1. heal", "bad time '1.'"},
        BadCase{"99999999999 heal", "bad time"},
        BadCase{"1 fsync_error node=b1 ppm=abc duration=1", "bad value 'abc' for ppm"},
        BadCase{"1 fsync_error node=b1 ppm=1000001 duration=1",
                "bad value '1000001' for ppm (want an integer 0..1000000)"},
        BadCase{"1 bitflip node=b1 ppm=-5 duration=1", "bad value '-5' for ppm"},
        BadCase{"1 pause node=b1 duration=1.5s", "bad value '1.5s' for duration"},
        BadCase{"1 pause node=b1 duration=-1", "bad value '-1' for duration (want seconds >= 0)"},
        BadCase{"1 disk_full node=b1 capacity=1e6 duration=1", "bad value '1e6' for capacity"},
        BadCase{"1 crash node=b1 keep_unsynced=yes tear=0",
                "bad value 'yes' for keep_unsynced (want 0 or 1)"},
        BadCase{"1 crash node=b!1 keep_unsynced=0 tear=0 half_open=0",
                "bad value 'b!1' for node"},
        BadCase{"1 crash node=b1 keep_unsynced=0 tear=0 half_open=2",
                "bad value '2' for half_open (want 0 or 1)"},
        // Triggers.
        BadCase{"1 heal on=b1 nth=2", "line 1: heal: a trigger needs on= and event="},
        BadCase{"1 heal event=x.y", "line 1: heal: a trigger needs on= and event="},
        BadCase{"1 heal on=b1 event=x.y nth=0", "bad value '0' for nth (want an integer >= 1)"},
        BadCase{"1 heal on=b1 event=x.y delay=-1", "bad value '-1' for delay"},
        BadCase{"1 heal on=b1 event=x y", "line 1: expected key=value, got 'y'"},
        BadCase{"1 heal on=b1 event=x.y match=topic", "bad value 'topic' for match "
                                                      "(want field:value like topic:events)"},
        BadCase{"1 heal on=b1 event=x.y match=:v", "bad value ':v' for match"},
        BadCase{"1 heal on=b1 event=x=y", "bad value 'x=y' for event"},
        BadCase{"1 heal on=b1 event=x.y on=b2", "line 1: duplicate key 'on'"},
        BadCase{"1 heal_all on=b1 event=x.y", "unknown key 'on' for heal_all (keys: none)"},
        BadCase{"1 pause node=b1 duration=1 restart_after=1", "unknown key 'restart_after'"},
        // block and bridge.
        BadCase{"1 block links=b1-b2 duration=1", "bad value 'b1-b2' for links"},
        BadCase{"1 block links=b1>b1 duration=1", "block: link b1>b1 is a loop"},
        BadCase{"1 block links=b1>b2,b1>b2 duration=1", "block: link b1>b2 twice"},
        BadCase{"1 bridge a=b1 b=b2 via=b1 duration=1",
                "line 1: bridge: via 'b1' must be on neither side"},
        // Settings.
        BadCase{"1 heal\nset duration 3", "line 2: settings must come before the first fault"},
        BadCase{"set duration", "line 1: expected 'set <key> <value>' (one word each)"},
        BadCase{"set duration 1 2", "line 1: expected 'set <key> <value>'"},
        BadCase{"set Duration 1", "line 1: bad setting key 'Duration'"},
        BadCase{"set a 1\nset a 2", "line 2: setting 'a' given twice"},
        BadCase{"1 partition a=b1,,b2 b=b3 one_way=0 duration=1", "bad value 'b1,,b2' for a"},
        BadCase{"1 partition a=b1 b=b1 one_way=0 duration=1",
                "line 1: partition: node 'b1' is on both sides"},
        BadCase{"1 break_connection a=b1,b2 b=b3", "break_connection: a and b name one node"},
        BadCase{"1 clog from=b1 to=b2 duration=0", "clog: duration must be > 0"},
        BadCase{"1 latency min=0.2 max=0.1", "latency: max must be >= min"},
        BadCase{"2 heal\n1 heal", "line 2: time 1.000000000 is before the previous fault's "
                                  "2.000000000 (faults must be in time order)"}));

}  // namespace
}  // namespace tern::faults
