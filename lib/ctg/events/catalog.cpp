#include "ctg/events/catalog.hpp"

#include <array>

#include "ctg/core/text.hpp"

namespace ctg::events {

namespace {

using K = FieldKind;
constexpr bool k_optional = false;

// ---- data fields per shape (platform.md §3) ------------------------------------------------------

constexpr FieldSpec k_sms_fields[] = {
    {"from", K::string},
    {"to", K::string},
    {"body", K::string},
    {"timestamp", K::integer},
    {"attachments", K::array, k_optional},
    {"attachments[].url", K::string},
    {"attachments[].mime", K::string},
    {"attachments[].filename", K::string},
};

// MMS and iMessage: the same, with `attachments` required.
constexpr FieldSpec k_media_fields[] = {
    {"from", K::string},
    {"to", K::string},
    {"body", K::string},
    {"timestamp", K::integer},
    {"attachments", K::array},
    {"attachments[].url", K::string},
    {"attachments[].mime", K::string},
    {"attachments[].filename", K::string},
};

constexpr FieldSpec k_delivery_confirmed_fields[] = {
    {"from", K::string},
    {"to", K::string},
    {"message_id", K::string},
    {"timestamp", K::integer},
};

constexpr FieldSpec k_delivery_failed_fields[] = {
    {"from", K::string}, {"to", K::string}, {"message_id", K::string}, {"timestamp", K::integer}, {"error", K::string},
};

constexpr FieldSpec k_substitution_fields[] = {
    {"original_number", K::string}, {"used_number", K::string}, {"reason", K::string},
    {"message_id", K::string},      {"timestamp", K::integer},
};

constexpr FieldSpec k_otp_fields[] = {
    {"otp_id", K::string},
    {"number", K::string},
    {"status", K::string},
};

// A contact is {name|null, address, complete}; `reply_to` is a contact or null, which FieldKind
// cannot say in one word, so it is `any` and its members are checked when it is an object.
constexpr FieldSpec k_email_fields[] = {
    {"email_id", K::string},
    {"from", K::object},
    {"from.name", K::string_or_null},
    {"from.address", K::string},
    {"from.complete", K::string},
    {"to", K::object},
    {"to.name", K::string_or_null},
    {"to.address", K::string},
    {"to.complete", K::string},
    {"cc", K::array},
    {"cc[].name", K::string_or_null},
    {"cc[].address", K::string},
    {"cc[].complete", K::string},
    {"bcc", K::array},
    {"bcc[].name", K::string_or_null},
    {"bcc[].address", K::string},
    {"bcc[].complete", K::string},
    {"reply_to", K::any},
    {"reply_to.name", K::string_or_null},
    {"reply_to.address", K::string},
    {"reply_to.complete", K::string},
    {"subject", K::string},
    {"body", K::object},
    {"body.text", K::string_or_null},
    {"body.html", K::string_or_null},
    {"body.raw", K::string},
    {"timestamp", K::integer},
    {"headers", K::object},
    {"headers.return-path", K::array, k_optional},
    {"headers.return-path[].name", K::string_or_null},
    {"headers.return-path[].address", K::string},
    {"attachments", K::array},
    {"attachments[].id", K::string},
    {"attachments[].filename", K::string},
    {"attachments[].content_type", K::string},
    {"attachments[].size", K::integer},
    {"attachments[].url", K::string},
    {"in_reply_to", K::string_or_null, k_optional},
    {"references", K::array, k_optional},
};

constexpr FieldSpec k_identity_verified_fields[] = {
    {"verification_report", K::string},
};

constexpr FieldSpec k_whatsapp_fields[] = {
    {"from", K::string},
    {"to", K::string},
    {"body", K::string},
    {"timestamp", K::integer},
};

// Legacy v1: the fields of `crumbs`.
constexpr FieldSpec k_v1_fields[] = {
    {"from", K::string}, {"to", K::string}, {"message", K::string}, {"timestamp", K::integer}, {"type", K::string},
};

constexpr std::span<const FieldSpec> k_no_fields{};

constexpr std::string_view k_text_version = "v2025.9.7";
constexpr std::string_view k_messaging_version = "v2025.12.7";
constexpr std::string_view k_identity_version = "v2025.12.10";
constexpr std::string_view k_older_version = "v2";

constexpr Generation k_cur = Generation::current;
constexpr Generation k_old = Generation::older;
constexpr Generation k_v1 = Generation::legacy_v1;

constexpr std::array k_catalog{
    // Current (platform.md §3, in its order).
    EventType{"text.incoming.sms", k_cur, "An SMS arrived at one of your numbers", k_text_version, "", k_sms_fields},
    EventType{"text.incoming.mms", k_cur, "An MMS with attachments arrived at one of your numbers", k_text_version, "",
              k_media_fields},
    EventType{"text.delivery.confirmed", k_cur, "A text you sent was delivered", k_text_version, "",
              k_delivery_confirmed_fields},
    EventType{"text.delivery.failed", k_cur, "A text you sent could not be delivered", k_text_version, "",
              k_delivery_failed_fields},
    EventType{"imessage.incoming", k_cur, "An iMessage arrived at one of your numbers", k_messaging_version, "",
              k_media_fields},
    EventType{"numbers.substitution", k_cur, "A message was sent from another number than the one requested",
              k_messaging_version, "", k_substitution_fields},
    EventType{"otp.reverse.verified", k_cur, "A user confirmed a reverse OTP from their phone", k_messaging_version, "",
              k_otp_fields},
    EventType{"email.incoming", k_cur, "An email arrived at one of your domains", k_messaging_version, "",
              k_email_fields},
    EventType{"identity.verification_session.started", k_cur, "A user started an identity verification session",
              k_identity_version, "", k_no_fields},
    EventType{"identity.verification_session.processing", k_cur,
              "An identity verification session's documents are being checked", k_identity_version, "", k_no_fields},
    EventType{"identity.verification_session.verified", k_cur, "An identity verification session succeeded",
              k_identity_version, "", k_identity_verified_fields},
    EventType{"identity.verification_session.failed", k_cur, "An identity verification session failed",
              k_identity_version, "", k_no_fields},
    EventType{"identity.verification_session.requires_input", k_cur,
              "An identity verification session needs more input from the user", k_identity_version, "", k_no_fields},
    EventType{"identity.verification_session.manually_approved", k_cur,
              "A reviewer approved an identity verification session", k_identity_version, "", k_no_fields},
    EventType{"identity.verification_session.manually_denied", k_cur,
              "A reviewer denied an identity verification session", k_identity_version, "", k_no_fields},
    EventType{"identity.verification_report.generated", k_cur, "An identity verification report is ready",
              k_identity_version, "", k_no_fields},
    // Older names (2024-11 to 2025-09, and one week for the last two).
    EventType{"communications.incoming.sms", k_old, "An SMS arrived (older name of text.incoming.sms)", k_older_version,
              "text.incoming.sms", k_sms_fields},
    EventType{"communications.incoming.mms", k_old, "An MMS arrived (older name of text.incoming.mms)", k_older_version,
              "text.incoming.mms", k_media_fields},
    EventType{"communications.incoming.imessage", k_old, "An iMessage arrived (older name of imessage.incoming)",
              k_older_version, "imessage.incoming", k_media_fields},
    EventType{"communications.incoming.whatsapp", k_old, "A WhatsApp message arrived (no current equivalent)",
              k_older_version, "", k_whatsapp_fields},
    EventType{"communications.incoming.email", k_old, "An email arrived (older name of email.incoming)",
              k_older_version, "email.incoming", k_email_fields},
    EventType{"text.incoming", k_old, "An SMS arrived (short-lived name of text.incoming.sms)", k_older_version,
              "text.incoming.sms", k_sms_fields},
    EventType{"whatsapp.incoming", k_old, "A WhatsApp message arrived (short-lived name, no current equivalent)",
              k_older_version, "", k_whatsapp_fields},
    // Legacy v1: no envelope, no api_version.
    EventType{"v1.sms", k_v1, "An SMS arrived (legacy v1 format, accounts before 2024-11-01)", "", "", k_v1_fields},
    EventType{"v1.whatsapp", k_v1, "A WhatsApp message arrived (legacy v1 format)", "", "", k_v1_fields},
    EventType{"v1.imessage", k_v1, "An iMessage arrived (legacy v1 format)", "", "", k_v1_fields},
};

bool has_wildcard(std::string_view pattern) {
  return pattern.find_first_of("*?") != std::string_view::npos;
}

}  // namespace

std::span<const EventType> catalog() {
  return k_catalog;
}

std::vector<const EventType*> current_types() {
  std::vector<const EventType*> out;
  for (const auto& type : k_catalog) {
    if (type.generation == Generation::current) out.push_back(&type);
  }
  return out;
}

const EventType* find_type(std::string_view name) {
  for (const auto& type : k_catalog) {
    if (type.name == name) return &type;
  }
  return nullptr;
}

std::vector<std::string_view> type_names() {
  std::vector<std::string_view> out;
  out.reserve(k_catalog.size());
  for (const auto& type : k_catalog) out.push_back(type.name);
  return out;
}

std::vector<const EventType*> match_types(std::string_view pattern, Generation only) {
  if (!has_wildcard(pattern)) {
    const EventType* exact = find_type(pattern);
    if (exact == nullptr) return {};
    return {exact};
  }
  std::vector<const EventType*> out;
  for (const auto& type : k_catalog) {
    if (type.generation == only && text::glob_match(pattern, type.name)) out.push_back(&type);
  }
  return out;
}

std::string_view to_string(Generation generation) {
  switch (generation) {
    case Generation::current:
      return "current";
    case Generation::older:
      return "older";
    case Generation::legacy_v1:
      return "legacy-v1";
  }
  return "current";
}

}  // namespace ctg::events
