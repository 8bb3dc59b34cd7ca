#!/usr/bin/env python3
"""tern's Kafka message code generator (Python 3 standard library only).

Reads tern schema files (see broker/protocol/README.md for the format) and writes C++:

  --mode lib     for each API:  msg_<api>.h / msg_<api>.cpp  (request + response structs with
                 decode/encode), plus <umbrella>.h (includes all, for_each_message_type,
                 visit_api) and, with --table, api_table.h (key -> name, versions, flexible).
  --mode random  <name>.h / <name>.cpp: RapidCheck-driven randomize(msg, version) for every
                 struct, for the round-trip property tests.

Every version difference is data in the schema; the C++ is one decode and one encode per struct
with `if (version ...)` guards. Nothing here is hand-written per version.
"""
import argparse
import json
import os
import re
import sys

PRIMS = {
    "int8": ("int8_t", "int8"),
    "int16": ("int16_t", "int16"),
    "int32": ("int32_t", "int32"),
    "int64": ("int64_t", "int64"),
    "uint16": ("uint16_t", "uint16"),
    "float64": ("double", "float64"),
    "bool": ("bool", "bool"),
    "uuid": ("Uuid", "uuid"),
}
LEAF = set(PRIMS) | {"string", "bytes", "records"}
CPP_KEYWORDS = {"default", "delete", "new", "operator", "class", "register", "union", "template",
                "namespace", "private", "public", "protected", "friend", "virtual", "explicit",
                "this", "throw", "try", "catch", "typename", "using", "static", "const", "int",
                "bool", "char", "long", "short", "signed", "unsigned", "void", "auto", "case",
                "switch", "return", "break", "continue", "for", "while", "do", "if", "else",
                "goto", "struct", "enum", "inline", "volatile", "mutable", "export", "and", "or",
                "not", "xor", "requires", "concept"}
OPEN = 1 << 15


class SchemaError(Exception):
    pass


def parse_range(text, where):
    """'3+', '1-4', '2' or 'none' -> (lo, hi) inclusive, or None."""
    if text is None or text == "none":
        return None
    m = re.fullmatch(r"(\d+)\+", text)
    if m:
        return (int(m.group(1)), OPEN)
    m = re.fullmatch(r"(\d+)-(\d+)", text)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi:
            raise SchemaError(f"{where}: empty range {text!r}")
        return (lo, hi)
    m = re.fullmatch(r"\d+", text)
    if m:
        return (int(text), int(text))
    raise SchemaError(f"{where}: bad version range {text!r}")


def intersect(a, b):
    if a is None or b is None:
        return None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


def cond(r, within):
    """C++ condition that `version` lies in r, given that it already lies in `within`.
    Returns 'true'/'false' when that is known statically."""
    r = intersect(r, within)
    if r is None:
        return "false"
    parts = []
    if r[0] > within[0]:
        parts.append(f"version >= {r[0]}")
    if r[1] < within[1]:
        parts.append(f"version <= {r[1]}")
    return " && ".join(parts) if parts else "true"


class Type:
    def __init__(self, text, where):
        self.text = text
        self.is_array = text.startswith("[]")
        base = text[2:] if self.is_array else text
        if self.is_array and base.startswith("[]"):
            raise SchemaError(f"{where}: arrays of arrays are not supported")
        if self.is_array and base in ("bool", "records", "bytes"):
            raise SchemaError(f"{where}: arrays of {base} are not supported")
        self.base = base
        self.is_struct = base not in LEAF
        if self.is_struct and not re.fullmatch(r"[A-Z][A-Za-z0-9]*", base):
            raise SchemaError(f"{where}: unknown type {base!r}")


class Field:
    def __init__(self, d, msg, where):
        known = {"name", "type", "v", "nullable", "default", "tag", "tagged", "fields"}
        extra = set(d) - known
        if extra:
            raise SchemaError(f"{where}: unknown keys {sorted(extra)}")
        self.name = d["name"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise SchemaError(f"{where}: field names are snake_case, got {self.name!r}")
        self.cpp_name = self.name + "_" if self.name in CPP_KEYWORDS else self.name
        where = f"{where}.{self.name}"
        self.type = Type(d["type"], where)
        self.present = intersect(parse_range(d["v"], where), msg.versions)
        self.nullable = intersect(parse_range(d.get("nullable"), where), self.present)
        if self.type.base == "records" and not self.type.is_array and "nullable" not in d:
            raise SchemaError(f"{where}: records fields must say their nullable versions")
        if self.nullable and self.type.is_struct and not self.type.is_array:
            raise SchemaError(f"{where}: nullable structs are not supported")
        if self.nullable and self.type.base in PRIMS and not self.type.is_array:
            raise SchemaError(f"{where}: {self.type.base} cannot be nullable")
        self.tag = d.get("tag")
        self.tagged = None
        if self.tag is not None:
            self.tagged = intersect(parse_range(d.get("tagged"), where), self.present)
            if self.tagged is None:
                raise SchemaError(f"{where}: tagged field without tagged versions in range")
            if msg.flexible is None or intersect(self.tagged, msg.flexible) != self.tagged:
                raise SchemaError(f"{where}: tagged versions must be flexible versions")
            if self.tagged != self.present:
                raise SchemaError(f"{where}: fields both tagged and untagged are not supported")
        elif "tagged" in d:
            raise SchemaError(f"{where}: 'tagged' without 'tag'")
        self.has_default = "default" in d
        self.default = d.get("default")
        self.struct = None
        if "fields" in d:
            if not self.type.is_struct:
                raise SchemaError(f"{where}: only struct types have 'fields'")
            self.struct = Struct(self.type.base, d["fields"], msg, where)

    # C++ type of the member.
    def cpp_type(self):
        t = self.type
        if t.is_array:
            elem = PRIMS[t.base][0] if t.base in PRIMS else (
                "std::string" if t.base == "string" else t.base)
            v = f"std::vector<{elem}>"
            return f"std::optional<{v}>" if self.nullable else v
        if t.base == "string":
            return "std::optional<std::string>" if self.nullable else "std::string"
        if t.base in ("bytes", "records"):
            return "std::optional<Bytes>" if self.nullable else "Bytes"
        if t.base in PRIMS:
            return PRIMS[t.base][0]
        return t.base

    def is_optional(self):
        return self.nullable is not None

    # An expression of cpp_type() holding the default value.
    def default_expr(self):
        t, d, ct = self.type, self.default, self.cpp_type()
        where = f"default of {self.name}"
        if t.is_array or t.is_struct:
            if self.has_default and d is not None:
                raise SchemaError(f"{where}: arrays and structs only take null as a default")
            if self.is_optional() and not (self.has_default and d is None):
                return f"{ct}{{std::in_place}}"
            return f"{ct}{{}}"
        if t.base == "string":
            if self.has_default and d is None:
                if not self.is_optional():
                    raise SchemaError(f"{where}: null default on a non-nullable string")
                return f"{ct}{{}}"
            if d is None:
                return f"{ct}{{std::string()}}" if self.is_optional() else f"{ct}{{}}"
            if not isinstance(d, str) or not re.fullmatch(r"[ -~]*", d) or "\\" in d:
                raise SchemaError(f"{where}: string defaults are printable ASCII")
            return f"{ct}{{{json.dumps(d)}}}"
        if t.base in ("bytes", "records"):
            if self.has_default and d not in (None, ""):
                raise SchemaError(f"{where}: bytes defaults are null or empty")
            if self.is_optional() and (t.base == "records" or (self.has_default and d is None)):
                return f"{ct}{{}}"
            return f"{ct}{{Bytes{{}}}}" if self.is_optional() else f"{ct}{{}}"
        if t.base == "bool":
            if self.has_default and not isinstance(d, bool):
                raise SchemaError(f"{where}: bool default must be true/false")
            return "true" if d else "false"
        if t.base == "uuid":
            if self.has_default and d not in (None, "", "AAAAAAAAAAAAAAAAAAAAAA"):
                raise SchemaError(f"{where}: only the zero uuid is supported as a default")
            return "Uuid{}"
        if t.base == "float64":
            return f"double{{{float(d or 0.0)!r}}}"
        value = int(d or 0)
        bits = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}.get(t.base)
        if bits:
            if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
                raise SchemaError(f"{where}: {value} does not fit {t.base}")
        elif not 0 <= value < (1 << 16):
            raise SchemaError(f"{where}: {value} does not fit uint16")
        return f"static_cast<{ct}>({value}LL)"


class Struct:
    def __init__(self, name, fields, msg, where):
        self.name = name
        self.msg = msg
        self.where = f"{where}:{name}"
        self.fields = [Field(f, msg, self.where) for f in fields]
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise SchemaError(f"{self.where}: duplicate field names")
        tags = [f.tag for f in self.fields if f.tag is not None]
        if len(set(tags)) != len(tags):
            raise SchemaError(f"{self.where}: duplicate tags")
        self.max_tag = max(tags) if tags else -1


class Message:
    def __init__(self, d, path):
        known = {"message", "api", "api_key", "kind", "versions", "flexible", "fields", "structs",
                 "doc", "listeners", "broker_versions"}
        extra = set(d) - known
        if extra:
            raise SchemaError(f"{path}: unknown keys {sorted(extra)}")
        self.name = d["message"]
        self.api = d["api"]
        self.api_key = int(d["api_key"])
        self.kind = d["kind"]
        if self.kind not in ("request", "response"):
            raise SchemaError(f"{path}: kind must be request or response")
        if self.name != self.api + self.kind.capitalize():
            raise SchemaError(f"{path}: message must be named {self.api}{self.kind.capitalize()}")
        self.versions = parse_range(d["versions"], path)
        if self.versions is None or self.versions[1] == OPEN:
            raise SchemaError(f"{path}: versions must be a closed range")
        # Which listeners serve the API (Kafka's "listeners"): "broker" goes into kSupportedApis
        # (the client listener's ApiVersions and dispatch), "controller" into kControllerApis.
        self.listeners = d.get("listeners", ["broker"])
        if not self.listeners or set(self.listeners) - {"broker", "controller"}:
            raise SchemaError(f"{path}: listeners are 'broker' and/or 'controller'")
        # The versions the broker listener advertises, when narrower than `versions` (Fetch
        # v12 is Raft's; clients keep picking <= 11 from a broker).
        self.broker_versions = parse_range(d.get("broker_versions"), path) or self.versions
        if (self.broker_versions[0] < self.versions[0] or
                self.broker_versions[1] > self.versions[1]):
            raise SchemaError(f"{path}: broker_versions must lie inside versions")
        self.flexible_fact = parse_range(d["flexible"], path)
        self.first_flexible = self.flexible_fact[0] if self.flexible_fact else -1
        self.flexible = intersect(self.flexible_fact, self.versions)
        self.structs = []  # every struct but the top one, children before parents
        self.top = Struct(self.name, d["fields"], self, path)
        common = {}
        for c in d.get("structs", []):
            s = Struct(c["name"], c["fields"], self, path)
            common[s.name] = s
        seen = {}

        def visit(s):
            for f in s.fields:
                if not f.type.is_struct:
                    continue
                target = f.struct or common.get(f.type.base)
                if target is None:
                    raise SchemaError(f"{s.where}: no struct named {f.type.base}")
                if f.struct is not None and f.type.base in common:
                    raise SchemaError(f"{s.where}: {f.type.base} defined twice")
                if f.type.base in seen:
                    if seen[f.type.base] is not target:
                        raise SchemaError(f"{s.where}: {f.type.base} defined twice")
                    continue
                seen[f.type.base] = target
                visit(target)
                self.structs.append(target)
        visit(self.top)
        for name in common:
            if name not in seen:
                raise SchemaError(f"{path}: common struct {name} is never used")
        if self.name in seen:
            raise SchemaError(f"{path}: a struct may not share the message's name")

    def flex_cond(self):
        return cond(self.flexible, self.versions) if self.flexible else "false"

    def has_flexible(self):
        return self.flexible is not None


def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


# ---- C++ emission -------------------------------------------------------------------------

class Out:
    def __init__(self):
        self.lines = []

    def __call__(self, line="", indent=0):
        self.lines.append(("  " * indent + line) if line else "")

    def text(self):
        return "\n".join(self.lines) + "\n"


def read_call(base, target, nullable_cond, optional, rd):
    if base in PRIMS:
        return f"TERN_TRY({rd}.read_{PRIMS[base][1]}({target}));"
    if base == "string":
        if optional:
            return f"TERN_TRY({rd}.read_nullable_string({target}, flex, {nullable_cond}));"
        return f"TERN_TRY({rd}.read_string({target}, flex));"
    if base in ("bytes", "records"):
        if optional:
            return f"TERN_TRY({rd}.read_nullable_bytes({target}, flex, {nullable_cond}));"
        return f"TERN_TRY({rd}.read_bytes({target}, flex));"
    return f"TERN_TRY({target}.decode({rd}, version));"


def write_call(base, expr, nullable_cond, optional, wr):
    if base in PRIMS:
        return f"{wr}.write_{PRIMS[base][1]}({expr});"
    if base == "string":
        if optional:
            return f"{wr}.write_nullable_string({expr}, flex, {nullable_cond});"
        return f"{wr}.write_string({expr}, flex);"
    if base in ("bytes", "records"):
        if optional:
            return f"{wr}.write_nullable_bytes({expr}, flex, {nullable_cond});"
        return f"{wr}.write_bytes({expr}, flex);"
    return f"{expr}.encode({wr}, version);"


def emit_decode_value(out, f, target, msg, ind, rd):
    nc = cond(f.nullable, msg.versions) if f.nullable else "false"
    if not f.type.is_array:
        out(read_call(f.type.base, target, nc, f.is_optional(), rd), ind)
        return
    out("{", ind)
    out("int32_t n = 0;", ind + 1)
    out(f"TERN_TRY({rd}.read_array_length(n, flex, {nc}));", ind + 1)
    if f.is_optional():
        out(f"if (n < 0) {{", ind + 1)
        out(f"{target}.reset();", ind + 2)
        out("} else {", ind + 1)
        out(f"auto& vec = {target}.emplace();", ind + 2)
        body = ind + 2
    else:
        out(f"auto& vec = {target};", ind + 1)
        body = ind + 1
    out("vec.clear();", body)
    if not f.type.is_struct:
        # Primitive elements take >= 1 byte each and n <= remaining bytes: bounded.
        out("vec.reserve(static_cast<size_t>(n));", body)
    out("for (int32_t i = 0; i < n; ++i) {", body)
    out("auto& e = vec.emplace_back();", body + 1)
    out(read_call(f.type.base, "e", "false", False, rd), body + 1)
    out("}", body)
    if f.is_optional():
        out("}", ind + 1)
    out("}", ind)


def emit_encode_value(out, f, expr, msg, ind, wr):
    nc = cond(f.nullable, msg.versions) if f.nullable else "false"
    if not f.type.is_array:
        out(write_call(f.type.base, expr, nc, f.is_optional(), wr), ind)
        return
    out("{", ind)
    if f.is_optional():
        out(f"const auto* vec = {expr} ? &*{expr} : nullptr;", ind + 1)
        out("if (vec == nullptr) {", ind + 1)
        # A null where the version cannot carry one goes out as an empty array.
        out(f"{wr}.write_array_length({nc} ? -1 : 0, flex);", ind + 2)
        out("} else {", ind + 1)
        body = ind + 2
    else:
        out(f"const auto* vec = &{expr};", ind + 1)
        body = ind + 1
    out(f"{wr}.write_array_length(static_cast<int64_t>(vec->size()), flex);", body)
    out("for (const auto& e : *vec) {", body)
    out(write_call(f.type.base, "e", "false", False, wr), body + 1)
    out("}", body)
    if f.is_optional():
        out("}", ind + 1)
    out("}", ind)


def qualified(msg, s):
    return s.name if s is msg.top else f"{msg.name}::{s.name}"


def emit_struct_decl(out, msg, s, ind):
    out(f"struct {s.name} {{", ind)
    for f in s.fields:
        out(f"{f.cpp_type()} {f.cpp_name} = {f.default_expr()};", ind + 1)
    if msg.has_flexible():
        out("std::vector<RawTaggedField> unknown_tagged_fields{};", ind + 1)
    out("", 0)
    out("Status decode(Reader& r, int16_t version);", ind + 1)
    out("void encode(Writer& w, int16_t version) const;", ind + 1)
    out(f"bool operator==(const {s.name}&) const = default;", ind + 1)
    out("};", ind)


def emit_struct_impl(out, msg, s):
    q = qualified(msg, s)
    top = s is msg.top
    regular = [f for f in s.fields if f.tag is None and f.present]
    tagged = [f for f in s.fields if f.tag is not None and f.present]
    # decode
    out(f"Status {q}::decode([[maybe_unused]] Reader& r, [[maybe_unused]] int16_t version) {{")
    if top:
        out("if (version < kMinVersion || version > kMaxVersion) {", 1)
        out(f'return Error(Errc::invalid_argument, "{msg.name}: unsupported version");', 2)
        out("}", 1)
    out(f"*this = {s.name}{{}};", 1)
    out(f"[[maybe_unused]] const bool flex = {msg.flex_cond()};", 1)
    for f in regular:
        c = cond(f.present, msg.versions)
        if c == "true":
            emit_decode_value(out, f, "this->" + f.cpp_name, msg, 1, "r")
        else:
            out(f"if ({c}) {{", 1)
            emit_decode_value(out, f, "this->" + f.cpp_name, msg, 2, "r")
            out("}", 1)
    if msg.has_flexible():
        out("if (flex) {", 1)
        out("uint32_t count = 0;", 2)
        out("TERN_TRY(r.read_uvarint32(count));", 2)
        out("int64_t last_tag = -1;", 2)
        out("for (uint32_t i = 0; i < count; ++i) {", 2)
        out("uint32_t tag = 0;", 3)
        out("std::span<const uint8_t> body;", 3)
        out("TERN_TRY(r.read_tagged_field(tag, body));", 3)
        out("if (static_cast<int64_t>(tag) <= last_tag) {", 3)
        out(f'return Error(Errc::corrupt, "{q}: tagged fields out of order");', 4)
        out("}", 3)
        out("last_tag = tag;", 3)
        prefix = ""
        for f in tagged:
            c = cond(f.tagged, msg.versions)
            out(f"{prefix}if (tag == {f.tag}u && {c}) {{", 3)
            out("Reader tr(body);", 4)
            emit_decode_value(out, f, "this->" + f.cpp_name, msg, 4, "tr")
            out(f'TERN_TRY(tr.expect_end("{q}.{f.name}: tagged field size mismatch"));', 4)
            prefix = "} else "
        if tagged:
            out("} else {", 3)
            ind = 4
        else:
            ind = 3
        out("unknown_tagged_fields.push_back("
            "RawTaggedField{tag, Bytes(body.begin(), body.end())});", ind)
        if tagged:
            out("}", 3)
        out("}", 2)
        out("}", 1)
    out("return {};", 1)
    out("}")
    out()
    # encode
    out(f"void {q}::encode([[maybe_unused]] Writer& w, [[maybe_unused]] int16_t version) const {{")
    if top:
        out("TERN_ASSERT(version >= kMinVersion && version <= kMaxVersion,", 1)
        out(f'"{msg.name}: encode at unsupported version {{}}", version);', 3)
    out(f"[[maybe_unused]] const bool flex = {msg.flex_cond()};", 1)
    for f in regular:
        c = cond(f.present, msg.versions)
        # A value in a field the version lacks is simply not written (Kafka would throw).
        if c == "true":
            emit_encode_value(out, f, "this->" + f.cpp_name, msg, 1, "w")
        else:
            out(f"if ({c}) {{", 1)
            emit_encode_value(out, f, "this->" + f.cpp_name, msg, 2, "w")
            out("}", 1)
    if msg.has_flexible():
        out("if (flex) {", 1)
        out("std::vector<RawTaggedField> known;", 2)
        for f in tagged:
            c = cond(f.tagged, msg.versions)
            # Tagged fields holding their default are left out: that is what makes them cheap.
            out(f"if ({c} && !(this->{f.cpp_name} == {f.default_expr()})) {{", 2)
            out("Writer tw;", 3)
            emit_encode_value(out, f, "this->" + f.cpp_name, msg, 3, "tw")
            out(f"known.push_back(RawTaggedField{{{f.tag}u, tw.take()}});", 3)
            out("}", 2)
        out("write_tagged_fields(w, std::move(known), unknown_tagged_fields);", 2)
        out("}", 1)
    out("}")
    out()


def emit_message_decl(out, msg):
    out(f"// {msg.api} {msg.kind} (api key {msg.api_key}), versions "
        f"{msg.versions[0]}-{msg.versions[1]}, "
        + (f"flexible from v{msg.first_flexible}." if msg.first_flexible >= 0
           else "never flexible."))
    out(f"struct {msg.name} {{")
    out(f"static constexpr int16_t kApiKey = {msg.api_key};", 1)
    out(f'static constexpr std::string_view kName = "{msg.name}";', 1)
    out(f"static constexpr int16_t kMinVersion = {msg.versions[0]};", 1)
    out(f"static constexpr int16_t kMaxVersion = {msg.versions[1]};", 1)
    out(f"static constexpr int16_t kFirstFlexibleVersion = {msg.first_flexible};", 1)
    out(f"static constexpr bool kIsRequest = {'true' if msg.kind == 'request' else 'false'};", 1)
    out()
    for s in msg.structs:
        emit_struct_decl(out, msg, s, 1)
        out()
    for f in msg.top.fields:
        out(f"{f.cpp_type()} {f.cpp_name} = {f.default_expr()};", 1)
    if msg.has_flexible():
        out("std::vector<RawTaggedField> unknown_tagged_fields{};", 1)
    out()
    out("Status decode(Reader& r, int16_t version);", 1)
    out("void encode(Writer& w, int16_t version) const;", 1)
    out(f"bool operator==(const {msg.name}&) const = default;", 1)
    out("};")
    out()


HEADER_NOTE = "// Generated by broker/protocol/codegen/generate.py from {src}. Do not edit."


def gen_lib(messages, args):
    by_api = {}
    for m in messages:
        by_api.setdefault(m.api, []).append(m)
    ns = args.namespace
    written = []
    for api, msgs in sorted(by_api.items()):
        msgs.sort(key=lambda m: m.kind)  # request first
        base = f"msg_{snake(api)}"
        src = ", ".join(os.path.basename(m.path) for m in msgs)
        h = Out()
        h("#pragma once")
        h(HEADER_NOTE.format(src=src))
        for inc in ("<cstdint>", "<optional>", "<string>", "<string_view>", "<vector>"):
            h(f"#include {inc}")
        h()
        h('#include "broker/protocol/wire.h"')
        h('#include "sim/runtime/result.h"')
        h()
        h(f"namespace {ns} {{")
        h()
        for m in msgs:
            emit_message_decl(h, m)
        h(f"}}  // namespace {ns}")
        c = Out()
        c(HEADER_NOTE.format(src=src))
        c(f'#include "{args.include_prefix}/{base}.h"')
        c()
        c("#include <span>")
        c("#include <utility>")
        c()
        c(f"namespace {ns} {{")
        c()
        for m in msgs:
            for s in m.structs + [m.top]:
                emit_struct_impl(c, m, s)
        c(f"}}  // namespace {ns}")
        write(args.out_dir, base + ".h", h.text())
        write(args.out_dir, base + ".cpp", c.text())
        written.append(base)

    u = Out()
    u("#pragma once")
    u(HEADER_NOTE.format(src="all schema files"))
    u("// Every generated message, plus compile-time iteration and api-key dispatch over them.")
    u("#include <cstdint>")
    u("#include <type_traits>")
    u()
    for base in written:
        u(f'#include "{args.include_prefix}/{base}.h"')
    u()
    u(f"namespace {ns} {{")
    u()
    u("// Calls fn.template operator()<M>() for every generated message type M.")
    u("template <class Fn>")
    u("void for_each_message_type(Fn&& fn) {")
    for m in messages:
        u(f"fn.template operator()<{m.name}>();", 1)
    u("}")
    u()
    pairs = {}
    for m in messages:
        pairs.setdefault(m.api_key, {})[m.kind] = m
    u("// Calls fn(std::type_identity<Request>{}, std::type_identity<Response>{}) for api_key;")
    u("// false (fn not called) for a key without generated messages.")
    u("template <class Fn>")
    u("bool visit_api(int16_t api_key, Fn&& fn) {")
    u("switch (api_key) {", 1)
    for key, kinds in sorted(pairs.items()):
        if set(kinds) != {"request", "response"}:
            continue
        u(f"case {key}:", 2)
        u(f"fn(std::type_identity<{kinds['request'].name}>{{}}, "
          f"std::type_identity<{kinds['response'].name}>{{}});", 3)
        u("return true;", 3)
    u("default:", 2)
    u("return false;", 3)
    u("}", 1)
    u("}")
    u()
    u(f"}}  // namespace {ns}")
    write(args.out_dir, args.umbrella + ".h", u.text())

    if args.table:
        t = Out()
        t("#pragma once")
        t(HEADER_NOTE.format(src="all schema files"))
        t("// The APIs tern serves: what ApiVersions advertises and what the dispatcher accepts.")
        t("#include <cstdint>")
        t("#include <span>")
        t("#include <string_view>")
        t()
        t('#include "broker/protocol/api_key.h"')
        t()
        t(f"namespace {ns} {{")
        t()
        t("struct ApiInfo {")
        t("ApiKey key;", 1)
        t("std::string_view name;", 1)
        t("int16_t min_version;", 1)
        t("int16_t max_version;", 1)
        t("int16_t first_flexible;  // -1: no flexible version exists", 1)
        t("};")
        t()
        for key, kinds in sorted(pairs.items()):
            if set(kinds) != {"request", "response"}:
                raise SchemaError(f"api key {key}: needs both a request and a response")
            rq, rs = kinds["request"], kinds["response"]
            if rq.versions != rs.versions or rq.first_flexible != rs.first_flexible:
                raise SchemaError(f"{rq.api}: request and response disagree on versions")
            if rq.listeners != rs.listeners or rq.broker_versions != rs.broker_versions:
                raise SchemaError(f"{rq.api}: request and response disagree on listeners")
        for table, listener, doc in (
                ("kSupportedApis", "broker", "the broker (client) listener"),
                ("kControllerApis", "controller", "the CONTROLLER listener (KRaft quorum)")):
            t(f"// The APIs {doc} serves, sorted by key.")
            t(f"inline constexpr ApiInfo {table}[] = {{")
            for key, kinds in sorted(pairs.items()):
                rq = kinds["request"]
                if listener not in rq.listeners:
                    continue
                lo, hi = rq.broker_versions if listener == "broker" else rq.versions
                t(f'{{ApiKey::{snake(rq.api)}, "{rq.api}", {lo}, {hi}, {rq.first_flexible}}},', 1)
            t("};")
            t()
        t("constexpr std::span<const ApiInfo> supported_apis() { return kSupportedApis; }")
        t()
        t("// nullptr for a key tern does not serve.")
        t("constexpr const ApiInfo* find_api(int16_t api_key) {")
        t("for (const ApiInfo& a : kSupportedApis) {", 1)
        t("if (static_cast<int16_t>(a.key) == api_key) return &a;", 2)
        t("}", 1)
        t("return nullptr;", 1)
        t("}")
        t()
        t("constexpr bool is_supported(int16_t api_key, int16_t api_version) {")
        t("const ApiInfo* a = find_api(api_key);", 1)
        t("return a != nullptr && api_version >= a->min_version && api_version <= a->max_version;",
          1)
        t("}")
        t()
        t("constexpr std::span<const ApiInfo> controller_apis() { return kControllerApis; }")
        t()
        t("constexpr const ApiInfo* find_controller_api(int16_t api_key) {")
        t("for (const ApiInfo& a : kControllerApis) {", 1)
        t("if (static_cast<int16_t>(a.key) == api_key) return &a;", 2)
        t("}", 1)
        t("return nullptr;", 1)
        t("}")
        t()
        t("constexpr bool is_controller_supported(int16_t api_key, int16_t api_version) {")
        t("const ApiInfo* a = find_controller_api(api_key);", 1)
        t("return a != nullptr && api_version >= a->min_version && api_version <= a->max_version;",
          1)
        t("}")
        t()
        t(f"}}  // namespace {ns}")
        write(args.out_dir, "api_table.h", t.text())


# ---- randomize (tests) --------------------------------------------------------------------

def emit_random_value(out, f, target, msg, ind):
    nc = cond(f.nullable, msg.versions) if f.nullable else "false"

    def leaf(base, tgt, optional, ncond, i):
        if base in PRIMS:
            gen = {"bool": "gen_bool()", "uuid": "gen_uuid()", "float64": "gen_float64()"}.get(
                base, f"gen_int<{PRIMS[base][0]}>()")
            out(f"{tgt} = {gen};", i)
        elif base == "string":
            gen = f"gen_nullable_string({ncond})" if optional else "gen_string()"
            out(f"{tgt} = {gen};", i)
        elif base in ("bytes", "records"):
            out(f"{tgt} = " + (f"gen_nullable_bytes({ncond});" if optional else "gen_bytes();"), i)
        else:
            out(f"randomize({tgt}, version);", i)

    if not f.type.is_array:
        leaf(f.type.base, target, f.is_optional(), nc, ind)
        return
    out("{", ind)
    if f.is_optional():
        out(f"if (({nc}) && gen_null()) {{", ind + 1)
        out(f"{target}.reset();", ind + 2)
        out("} else {", ind + 1)
        out(f"auto& vec = {target}.emplace();", ind + 2)
        body = ind + 2
    else:
        out(f"auto& vec = {target};", ind + 1)
        body = ind + 1
    out("vec.resize(gen_count());", body)
    out("for (auto& e : vec) {", body)
    leaf(f.type.base, "e", False, "false", body + 1)
    out("}", body)
    if f.is_optional():
        out("}", ind + 1)
    out("}", ind)


def gen_random(messages, args):
    ns = args.namespace
    h = Out()
    h("#pragma once")
    h(HEADER_NOTE.format(src="all schema files"))
    h("// randomize(m, version): fills every field the version carries with RapidCheck-drawn")
    h("// values (call inside a property). Fields the version lacks keep their defaults.")
    h("#include <cstdint>")
    h()
    h(f'#include "{args.umbrella_include}"')
    h()
    h(f"namespace {ns} {{")
    h()
    for m in messages:
        for s in m.structs + [m.top]:
            h(f"void randomize({qualified(m, s)}& m, int16_t version);")
    h()
    h(f"}}  // namespace {ns}")
    c = Out()
    c(HEADER_NOTE.format(src="all schema files"))
    c(f'#include "{args.random_include_prefix}/{args.random}.h"')
    c()
    c('#include "tests/protocol/rc_support.h"')
    c()
    c(f"namespace {ns} {{")
    c()
    c("using namespace tern::protocol::testing;")
    c()
    for m in messages:
        for s in m.structs + [m.top]:
            c(f"void randomize([[maybe_unused]] {qualified(m, s)}& m, "
              "[[maybe_unused]] int16_t version) {")
            c(f"[[maybe_unused]] const bool flex = {m.flex_cond()};", 1)
            for f in s.fields:
                if not f.present:
                    continue
                c_ = cond(f.tagged if f.tag is not None else f.present, m.versions)
                if c_ == "true":
                    emit_random_value(c, f, f"m.{f.cpp_name}", m, 1)
                else:
                    c(f"if ({c_}) {{", 1)
                    emit_random_value(c, f, f"m.{f.cpp_name}", m, 2)
                    c("}", 1)
            if m.has_flexible():
                c("if (flex) m.unknown_tagged_fields = "
                  f"gen_unknown_tagged_fields({s.max_tag + 1});", 1)
            c("}")
            c()
    c(f"}}  // namespace {ns}")
    write(args.out_dir, args.random + ".h", h.text())
    write(args.out_dir, args.random + ".cpp", c.text())


def write(out_dir, name, text):
    path = os.path.join(out_dir, name)
    # Leave unchanged files alone so ninja does not rebuild what did not change.
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    with open(path, "w") as f:
        f.write(text)


def load(path):
    with open(path) as f:
        try:
            d = json.load(f)
        except json.JSONDecodeError as e:
            raise SchemaError(f"{path}: {e}")
    m = Message(d, os.path.basename(path))
    m.path = path
    return m


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=["lib", "random"], required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--namespace", default="tern::protocol")
    p.add_argument("--include-prefix", default="broker/protocol",
                   help="root-relative folder of the generated lib headers")
    p.add_argument("--umbrella", default="messages", help="lib mode: umbrella header name")
    p.add_argument("--table", action="store_true", help="lib mode: also write api_table.h")
    p.add_argument("--umbrella-include", default="broker/protocol/messages.h",
                   help="random mode: umbrella header to include")
    p.add_argument("--random", default="protocol_random", help="random mode: output base name")
    p.add_argument("--random-include-prefix", default="tests/protocol")
    p.add_argument("schemas", nargs="+")
    args = p.parse_args()
    try:
        messages = [load(s) for s in args.schemas]
        names = [m.name for m in messages]
        if len(set(names)) != len(names):
            raise SchemaError("duplicate message names")
        messages.sort(key=lambda m: (m.api_key, m.kind))
        os.makedirs(args.out_dir, exist_ok=True)
        if args.mode == "lib":
            gen_lib(messages, args)
        else:
            gen_random(messages, args)
    except SchemaError as e:
        print(f"generate.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
