#include "sim/trace/dot_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

namespace tern {

namespace {

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string field_text(const TraceValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v.v)) return std::to_string(*i);
  return std::get<std::string>(v.v);
}

bool is_fault(const TraceEvent& e) {
  return e.kind.rfind("fault.", 0) == 0 || e.kind == "node.crash" || e.kind == "node.pause" ||
         e.kind == "disk.crash" || e.kind == "net.reset";
}

}  // namespace

std::string render_dot(const std::vector<TraceEvent>& all, const DotOptions& options) {
  // Pick the events worth drawing; keep message deliveries (they make the arrows) even when
  // debug, because they are the point of a sequence picture.
  std::vector<const TraceEvent*> events;
  for (const auto& e : all) {
    const bool message = e.kind == "net.deliver" && e.field("from") != nullptr;
    if (e.severity == Severity::debug && !options.include_debug && !message &&
        e.kind != "net.connect" && e.kind != "net.reset")
      continue;
    events.push_back(&e);
  }
  if (events.size() > options.max_events)
    events.erase(events.begin(), events.end() - static_cast<long>(options.max_events));

  std::map<std::string, std::vector<size_t>> lanes;  // node -> indexes into events
  for (size_t i = 0; i < events.size(); ++i) lanes[events[i]->node].push_back(i);

  std::string out = "digraph trace {\n  rankdir=TB; newrank=true; splines=true;\n"
                    "  node [shape=box, fontsize=9, fontname=\"monospace\", height=0.2];\n"
                    "  edge [fontsize=8];\n";
  if (!options.title.empty())
    out += fmt::format("  labelloc=t; label=\"{}\";\n", escape(options.title));
  for (const auto& [node, idx] : lanes) {
    out += fmt::format("  subgraph \"cluster_{}\" {{\n    label=\"{}\"; style=rounded;\n",
                       escape(node), escape(node));
    for (size_t i : idx) {
      const TraceEvent& e = *events[i];
      std::string label = fmt::format("{}.{:06} {}", e.time.ns / 1000'000'000,
                                      (e.time.ns % 1000'000'000) / 1000, e.kind);
      int shown = 0;
      for (const auto& [k, v] : e.fields) {
        if (e.kind == "net.deliver" && (k == "sent_ns" || k == "from")) continue;
        if (shown++ == 4) break;
        std::string text = field_text(v);
        if (text.size() > 40) text = text.substr(0, 37) + "...";
        label += fmt::format("\\n{}={}", k, escape(text));
      }
      std::string style;
      if (is_fault(e)) style = ", style=filled, fillcolor=\"#f4b6b6\"";
      else if (e.severity == Severity::error) style = ", style=filled, fillcolor=\"#ff6060\"";
      else if (e.severity == Severity::warn) style = ", style=filled, fillcolor=\"#fde9a9\"";
      out += fmt::format("    e{} [label=\"{}\"{}];\n", i, label, style);
    }
    for (size_t k = 1; k < idx.size(); ++k)
      out += fmt::format("    e{} -> e{} [style=dotted, arrowhead=none, weight=10];\n",
                         idx[k - 1], idx[k]);
    out += "  }\n";
  }
  // Global time order: an invisible chain keeps later events lower on the page.
  for (size_t i = 1; i < events.size(); ++i)
    out += fmt::format("  e{} -> e{} [style=invis, weight=0];\n", i - 1, i);
  // Messages: from the sender's last event at or before the send time to the delivery.
  for (size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& e = *events[i];
    if (e.kind != "net.deliver") continue;
    const TraceValue* from = e.field("from");
    const TraceValue* sent = e.field("sent_ns");
    if (!from || !sent) continue;
    auto lane = lanes.find(field_text(*from));
    if (lane == lanes.end()) continue;
    const int64_t sent_ns = std::get<int64_t>(sent->v);
    std::optional<size_t> src;
    for (size_t j : lane->second) {
      if (j >= i || events[j]->time.ns > sent_ns) break;
      src = j;
    }
    if (!src) continue;
    const TraceValue* bytes = e.field("bytes");
    out += fmt::format("  e{} -> e{} [color=\"#3060c0\", label=\"{}B\", constraint=false];\n",
                       *src, i, bytes ? field_text(*bytes) : "?");
  }
  // At most a few notes, stacked under the last event: hundreds of lost writes side by side
  // would make a picture tens of thousands of pixels wide.
  constexpr size_t kNotesMax = 5;
  const size_t notes = std::min(options.violations.size(), kNotesMax);
  for (size_t v = 0; v < notes; ++v) {
    std::string text = options.violations[v];
    if (text.size() > 160) text = text.substr(0, 157) + "...";
    if (v + 1 == notes && options.violations.size() > notes)
      text += fmt::format(" (+{} more)", options.violations.size() - notes);
    out += fmt::format(
        "  violation{} [shape=note, style=filled, fillcolor=\"#ff4040\", fontcolor=white, "
        "label=\"VIOLATED: {}\"];\n",
        v, escape(text));
    if (v == 0) {
      if (!events.empty()) out += fmt::format("  e{} -> violation0 [style=invis];\n", events.size() - 1);
    } else {
      out += fmt::format("  violation{} -> violation{} [style=invis];\n", v - 1, v);
    }
  }
  out += "}\n";
  return out;
}

}  // namespace tern
