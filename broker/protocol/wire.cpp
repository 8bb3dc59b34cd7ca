#include "broker/protocol/wire.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "broker/base/varint.h"
#include "broker/protocol/api_table.h"

namespace tern::protocol {

bool Uuid::is_zero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

namespace {

Error corrupt(std::string_view what) { return Error(Errc::corrupt, std::string(what)); }

template <class U>
U load_be(const uint8_t* p) {
  U v = 0;
  for (size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | p[i]);
  return v;
}

template <class U>
void store_be(Bytes& buf, U v) {
  for (size_t i = sizeof(U); i-- > 0;) buf.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

// ---- Reader --------------------------------------------------------------------------------

Error Reader::truncated(std::string_view what) { return corrupt(what); }

Status Reader::read_int8(int8_t& out) {
  TERN_TRY(need(1, "truncated int8"));
  out = static_cast<int8_t>(in_[pos_]);
  pos_ += 1;
  return {};
}

Status Reader::read_int16(int16_t& out) {
  TERN_TRY(need(2, "truncated int16"));
  out = static_cast<int16_t>(load_be<uint16_t>(in_.data() + pos_));
  pos_ += 2;
  return {};
}

Status Reader::read_int32(int32_t& out) {
  TERN_TRY(need(4, "truncated int32"));
  out = static_cast<int32_t>(load_be<uint32_t>(in_.data() + pos_));
  pos_ += 4;
  return {};
}

Status Reader::read_int64(int64_t& out) {
  TERN_TRY(need(8, "truncated int64"));
  out = static_cast<int64_t>(load_be<uint64_t>(in_.data() + pos_));
  pos_ += 8;
  return {};
}

Status Reader::read_uint16(uint16_t& out) {
  TERN_TRY(need(2, "truncated uint16"));
  out = load_be<uint16_t>(in_.data() + pos_);
  pos_ += 2;
  return {};
}

Status Reader::read_uint32(uint32_t& out) {
  TERN_TRY(need(4, "truncated uint32"));
  out = load_be<uint32_t>(in_.data() + pos_);
  pos_ += 4;
  return {};
}

Status Reader::read_float64(double& out) {
  TERN_TRY(need(8, "truncated float64"));
  out = std::bit_cast<double>(load_be<uint64_t>(in_.data() + pos_));
  pos_ += 8;
  return {};
}

Status Reader::read_bool(bool& out) {
  int8_t v = 0;
  TERN_TRY(read_int8(v));
  // Kafka reads any non-zero byte as true.
  out = v != 0;
  return {};
}

Status Reader::read_uuid(Uuid& out) {
  TERN_TRY(need(16, "truncated uuid"));
  std::memcpy(out.bytes.data(), in_.data() + pos_, 16);
  pos_ += 16;
  return {};
}

Status Reader::read_uvarint32(uint32_t& out) {
  const auto v = get_uvarint(rest(), kVarint32MaxBytes);
  if (!v) return corrupt("bad uvarint32");
  TERN_ASSERT(v->bytes >= 1 && v->bytes <= remaining(), "varint of {} bytes", v->bytes);
  out = static_cast<uint32_t>(v->value);
  pos_ += v->bytes;
  return {};
}

Status Reader::read_uvarint64(uint64_t& out) {
  const auto v = get_uvarint(rest(), kVarint64MaxBytes);
  if (!v) return corrupt("bad uvarint64");
  TERN_ASSERT(v->bytes >= 1 && v->bytes <= remaining(), "varint of {} bytes", v->bytes);
  out = v->value;
  pos_ += v->bytes;
  return {};
}

Status Reader::read_varint32(int32_t& out) {
  uint32_t u = 0;
  TERN_TRY(read_uvarint32(u));
  out = static_cast<int32_t>(zigzag_decode(u));
  return {};
}

Status Reader::read_varint64(int64_t& out) {
  uint64_t u = 0;
  TERN_TRY(read_uvarint64(u));
  out = zigzag_decode(u);
  return {};
}

Status Reader::read_raw(size_t n, std::span<const uint8_t>& out) {
  TERN_TRY(need(n, "truncated bytes"));
  out = in_.subspan(pos_, n);
  pos_ += n;
  return {};
}

// len = -1 for null. `wide` picks int32 over int16 for the classic form.
Status Reader::read_length_prefix(int64_t& len, bool compact, bool wide, std::string_view what) {
  if (compact) {
    uint32_t n = 0;
    TERN_TRY(read_uvarint32(n));
    len = static_cast<int64_t>(n) - 1;
  } else if (wide) {
    int32_t n = 0;
    TERN_TRY(read_int32(n));
    len = n;
  } else {
    int16_t n = 0;
    TERN_TRY(read_int16(n));
    len = n;
  }
  if (len < -1) return corrupt(what);
  if (len > static_cast<int64_t>(remaining())) return corrupt(what);
  return {};
}

Status Reader::read_string(std::string& out, bool compact) {
  int64_t len = 0;
  TERN_TRY(read_length_prefix(len, compact, false, "bad string length"));
  if (len < 0) return corrupt("null for a non-nullable string");
  out.assign(reinterpret_cast<const char*>(in_.data() + pos_), static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return {};
}

Status Reader::read_nullable_string(std::optional<std::string>& out, bool compact,
                                    bool nullable) {
  int64_t len = 0;
  TERN_TRY(read_length_prefix(len, compact, false, "bad string length"));
  if (len < 0) {
    if (!nullable) return corrupt("null for a non-nullable string");
    out.reset();
    return {};
  }
  out.emplace(reinterpret_cast<const char*>(in_.data() + pos_), static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return {};
}

Status Reader::read_bytes(Bytes& out, bool compact) {
  int64_t len = 0;
  TERN_TRY(read_length_prefix(len, compact, true, "bad bytes length"));
  if (len < 0) return corrupt("null for non-nullable bytes");
  out.assign(in_.begin() + static_cast<ptrdiff_t>(pos_),
             in_.begin() + static_cast<ptrdiff_t>(pos_ + static_cast<size_t>(len)));
  pos_ += static_cast<size_t>(len);
  return {};
}

Status Reader::read_nullable_bytes(std::optional<Bytes>& out, bool compact, bool nullable) {
  int64_t len = 0;
  TERN_TRY(read_length_prefix(len, compact, true, "bad bytes length"));
  if (len < 0) {
    if (!nullable) return corrupt("null for non-nullable bytes");
    out.reset();
    return {};
  }
  out.emplace(in_.begin() + static_cast<ptrdiff_t>(pos_),
              in_.begin() + static_cast<ptrdiff_t>(pos_ + static_cast<size_t>(len)));
  pos_ += static_cast<size_t>(len);
  return {};
}

Status Reader::read_array_length(int32_t& out, bool compact, bool nullable) {
  int64_t len = 0;
  TERN_TRY(read_length_prefix(len, compact, true, "bad array length"));
  if (len < 0 && !nullable) return corrupt("null for a non-nullable array");
  out = static_cast<int32_t>(len);
  return {};
}

Status Reader::read_tagged_field(uint32_t& tag, std::span<const uint8_t>& body) {
  TERN_TRY(read_uvarint32(tag));
  uint32_t size = 0;
  TERN_TRY(read_uvarint32(size));
  return read_raw(size, body);
}

Status Reader::expect_end(std::string_view what) const {
  if (!at_end()) return corrupt(what);
  return {};
}

// ---- Writer --------------------------------------------------------------------------------

void Writer::write_int8(int8_t v) { buf_.push_back(static_cast<uint8_t>(v)); }
void Writer::write_int16(int16_t v) { store_be(buf_, static_cast<uint16_t>(v)); }
void Writer::write_int32(int32_t v) { store_be(buf_, static_cast<uint32_t>(v)); }
void Writer::write_int64(int64_t v) { store_be(buf_, static_cast<uint64_t>(v)); }
void Writer::write_uint16(uint16_t v) { store_be(buf_, v); }
void Writer::write_uint32(uint32_t v) { store_be(buf_, v); }
void Writer::write_float64(double v) { store_be(buf_, std::bit_cast<uint64_t>(v)); }
void Writer::write_uuid(const Uuid& v) { buf_.insert(buf_.end(), v.bytes.begin(), v.bytes.end()); }

void Writer::write_uvarint(uint64_t v) {
  uint8_t tmp[kVarint64MaxBytes];
  const size_t n = put_uvarint(tmp, v);
  TERN_ASSERT(n >= 1 && n <= kVarint64MaxBytes);
  buf_.insert(buf_.end(), tmp, tmp + n);
}

void Writer::write_varint32(int32_t v) {
  write_uvarint(static_cast<uint32_t>(zigzag_encode(v)));
}
void Writer::write_varint64(int64_t v) { write_uvarint(zigzag_encode(v)); }

void Writer::write_raw(std::span<const uint8_t> bytes) {
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

void Writer::patch_int32(size_t pos, int32_t v) {
  TERN_ASSERT(pos + 4 <= buf_.size(), "patch at {} of {}", pos, buf_.size());
  const auto u = static_cast<uint32_t>(v);
  for (size_t i = 0; i < 4; ++i) buf_[pos + i] = static_cast<uint8_t>(u >> (8 * (3 - i)));
}

void Writer::write_string(std::string_view s, bool compact) {
  if (compact) {
    write_uvarint(static_cast<uint64_t>(s.size()) + 1);
  } else {
    TERN_ASSERT(s.size() <= 0x7fff, "string of {} bytes does not fit int16", s.size());
    write_int16(static_cast<int16_t>(s.size()));
  }
  buf_.insert(buf_.end(), s.begin(), s.end());
}

void Writer::write_nullable_string(const std::optional<std::string>& s, bool compact,
                                   bool nullable) {
  if (s) return write_string(*s, compact);
  if (!nullable) return write_string({}, compact);
  if (compact) {
    write_uvarint(0);
  } else {
    write_int16(-1);
  }
}

void Writer::write_bytes(std::span<const uint8_t> b, bool compact) {
  if (compact) {
    write_uvarint(static_cast<uint64_t>(b.size()) + 1);
  } else {
    TERN_ASSERT(b.size() <= 0x7fffffff, "{} bytes do not fit int32", b.size());
    write_int32(static_cast<int32_t>(b.size()));
  }
  if (splice_min_ != 0 && b.size() >= splice_min_) {
    splices_.push_back(Splice{buf_.size(), b});
    return;
  }
  write_raw(b);
}

void Writer::write_nullable_bytes(const std::optional<Bytes>& b, bool compact, bool nullable) {
  if (b) return write_bytes(*b, compact);
  if (!nullable) return write_bytes({}, compact);
  if (compact) {
    write_uvarint(0);
  } else {
    write_int32(-1);
  }
}

void Writer::write_array_length(int64_t n, bool compact) {
  TERN_ASSERT(n >= -1 && n <= 0x7fffffff, "array length {}", n);
  if (compact) {
    write_uvarint(static_cast<uint64_t>(n + 1));
  } else {
    write_int32(static_cast<int32_t>(n));
  }
}

void write_tagged_fields(Writer& w, std::vector<RawTaggedField> known,
                         const std::vector<RawTaggedField>& unknown) {
  for (const auto& u : unknown) {
    const bool shadowed =
        std::any_of(known.begin(), known.end(), [&](const auto& k) { return k.tag == u.tag; });
    if (!shadowed) known.push_back(u);
  }
  // Tags must go out in ascending order; equal tags keep their first occurrence only.
  std::stable_sort(known.begin(), known.end(),
                   [](const auto& a, const auto& b) { return a.tag < b.tag; });
  known.erase(std::unique(known.begin(), known.end(),
                          [](const auto& a, const auto& b) { return a.tag == b.tag; }),
              known.end());
  w.write_uvarint(known.size());
  for (const auto& f : known) {
    w.write_uvarint(f.tag);
    w.write_uvarint(f.data.size());
    w.write_raw(f.data);
  }
}

// ---- headers -------------------------------------------------------------------------------

namespace {

Status decode_tagged_section(Reader& r, std::vector<RawTaggedField>& out) {
  uint32_t count = 0;
  TERN_TRY(r.read_uvarint32(count));
  int64_t last = -1;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t tag = 0;
    std::span<const uint8_t> body;
    TERN_TRY(r.read_tagged_field(tag, body));
    if (static_cast<int64_t>(tag) <= last) return corrupt("tagged fields out of order");
    last = tag;
    out.push_back(RawTaggedField{tag, Bytes(body.begin(), body.end())});
  }
  return {};
}

}  // namespace

Status RequestHeader::decode(Reader& r, int16_t header_version) {
  TERN_ASSERT(header_version >= 0 && header_version <= 2, "request header v{}", header_version);
  *this = RequestHeader{};
  TERN_TRY(r.read_int16(api_key));
  TERN_TRY(r.read_int16(api_version));
  TERN_TRY(r.read_int32(correlation_id));
  if (header_version >= 1) TERN_TRY(r.read_nullable_string(client_id, false, true));
  if (header_version >= 2) TERN_TRY(decode_tagged_section(r, unknown_tagged_fields));
  return {};
}

void RequestHeader::encode(Writer& w, int16_t header_version) const {
  TERN_ASSERT(header_version >= 0 && header_version <= 2, "request header v{}", header_version);
  w.write_int16(api_key);
  w.write_int16(api_version);
  w.write_int32(correlation_id);
  if (header_version >= 1) w.write_nullable_string(client_id, false, true);
  if (header_version >= 2) write_tagged_fields(w, {}, unknown_tagged_fields);
}

Status ResponseHeader::decode(Reader& r, int16_t header_version) {
  TERN_ASSERT(header_version >= 0 && header_version <= 1, "response header v{}", header_version);
  *this = ResponseHeader{};
  TERN_TRY(r.read_int32(correlation_id));
  if (header_version >= 1) TERN_TRY(decode_tagged_section(r, unknown_tagged_fields));
  return {};
}

void ResponseHeader::encode(Writer& w, int16_t header_version) const {
  TERN_ASSERT(header_version >= 0 && header_version <= 1, "response header v{}", header_version);
  w.write_int32(correlation_id);
  if (header_version >= 1) write_tagged_fields(w, {}, unknown_tagged_fields);
}

namespace {

bool is_flexible(int16_t api_key, int16_t api_version) {
  // The controller listener's APIs (Vote, ...) are flexible from their own first versions.
  const ApiInfo* api = find_api(api_key);
  if (api == nullptr) api = find_controller_api(api_key);
  return api != nullptr && api->first_flexible >= 0 && api_version >= api->first_flexible;
}

}  // namespace

int16_t request_header_version(int16_t api_key, int16_t api_version) {
  // ControlledShutdown v0 (key 7) is the one request with header v0; we never serve it, but
  // the rule is part of the protocol.
  if (api_key == 7 && api_version == 0) return 0;
  return is_flexible(api_key, api_version) ? 2 : 1;
}

int16_t response_header_version(int16_t api_key, int16_t api_version) {
  if (api_key == static_cast<int16_t>(ApiKey::api_versions)) return 0;
  return is_flexible(api_key, api_version) ? 1 : 0;
}

Status decode_request_header(Reader& r, RequestHeader& out) {
  // api_key and api_version open every header version: peek them to pick the version.
  Reader peek(r.rest());
  int16_t key = 0;
  int16_t version = 0;
  TERN_TRY(peek.read_int16(key));
  TERN_TRY(peek.read_int16(version));
  return out.decode(r, request_header_version(key, version));
}

}  // namespace tern::protocol
