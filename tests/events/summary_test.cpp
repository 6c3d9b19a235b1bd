#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "ctg/events/event.hpp"
#include "ctg/events/fixtures.hpp"

using namespace ctg::events;

TEST_SUITE_BEGIN("events");

namespace {

std::string summary_of(const std::string& body) {
  auto event = parse_event(body);
  REQUIRE_MESSAGE(event.has_value(), event.error().message);
  return summarize(*event);
}

std::string fixture_summary(std::string_view type) {
  auto fixture = find_fixture(type);
  REQUIRE(fixture.has_value());
  return summary_of(std::string(fixture->content));
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

void check_one_line(const std::string& line) {
  CAPTURE(line);
  CHECK(code_points(line) <= 120);
  for (char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    CHECK((byte >= 0x20 && byte != 0x7F));
  }
  CHECK(line.find("\xC2\x85") == std::string::npos);      // NEL
  CHECK(line.find("\xE2\x80\xAE") == std::string::npos);  // RIGHT-TO-LEFT OVERRIDE
}

std::string envelope(std::string_view type, std::string_view data) {
  return R"({"id":"evt_abcdefghij","type":")" + std::string(type) + R"(","timestamp":1707321600,"data":)" +
         std::string(data) + "}";
}

}  // namespace

TEST_CASE("events::summarize current types") {
  CHECK(fixture_summary("text.incoming.sms") == "+15551234567 \xE2\x86\x92 +15559876543 \"Hello world\"");
  CHECK(fixture_summary("text.incoming.mms") ==
        "+15551234567 \xE2\x86\x92 +15559876543 \"Here's the photo from today\" (1 attachment)");
  CHECK(fixture_summary("text.delivery.confirmed") == "delivered to +15551234567 (text_1770422395)");
  const auto failed = fixture_summary("text.delivery.failed");
  CHECK(failed.starts_with("delivery failed to +15550104477: Carrier rejected"));
  CHECK(failed.ends_with("(text_1770422411)"));
  CHECK(fixture_summary("imessage.incoming") == "+15551234567 \xE2\x86\x92 +15559876543 \"Are we still on for 3pm?\"");
  CHECK(fixture_summary("numbers.substitution") ==
        "sent from +15558675309 instead of +15559876543: requested_unavailable_random_used (msg_abc123XyZ9)");
  CHECK(fixture_summary("otp.reverse.verified") == "OTP r_otp_123456 verified for +15551234567");
  CHECK(fixture_summary("email.incoming") ==
        "email from Jane Doe <jane.doe@example.com>: \"Question about my order #48213\" (1 attachment)");
  CHECK(fixture_summary("identity.verification_session.started") == "identity session vs_1Qx8Lm2Nb7Ws4Kd started");
  CHECK(fixture_summary("identity.verification_session.processing") ==
        "identity session vs_1Qx8Lm2Nb7Ws4Kd processing");
  CHECK(fixture_summary("identity.verification_session.verified") ==
        "identity session vs_1Qx8Lm2Nb7Ws4Kd verified (report vr_9Tg3Hj6Pz1Ye5Rc)");
  CHECK(fixture_summary("identity.verification_session.failed") ==
        "identity session vs_1Qx8Lm2Nb7Ws4Kd failed: selfie_document_mismatch");
  CHECK(fixture_summary("identity.verification_session.requires_input") ==
        "identity session vs_1Qx8Lm2Nb7Ws4Kd requires input: document_expired");
  CHECK(fixture_summary("identity.verification_session.manually_approved") ==
        "identity session vs_1Qx8Lm2Nb7Ws4Kd manually approved");
  CHECK(fixture_summary("identity.verification_session.manually_denied") ==
        "identity session vs_1Qx8Lm2Nb7Ws4Kd manually denied: consent_declined");
  CHECK(fixture_summary("identity.verification_report.generated") ==
        "identity report vr_9Tg3Hj6Pz1Ye5Rc generated for session vs_1Qx8Lm2Nb7Ws4Kd");
}

TEST_CASE("events::summarize older and legacy types") {
  CHECK(fixture_summary("v1.sms") == "+15551234567 \xE2\x86\x92 15559876543 \"Hello, world!\"");
  CHECK(fixture_summary("communications.incoming.email").starts_with("email from Jane Doe"));
  CHECK(fixture_summary("whatsapp.incoming") ==
        "+15551234567 \xE2\x86\x92 +15559876543 \"Thanks for the quick reply!\"");
  CHECK(summary_of(envelope("not.in.catalog", "{}")) == "unknown type \"not.in.catalog\" (evt_abcdefghij)");
}

TEST_CASE("events::summarize every fixture fits on one line") {
  for (const auto& fixture : fixtures()) {
    CAPTURE(fixture.file);
    check_one_line(summary_of(std::string(fixture.content)));
  }
}

TEST_CASE("events::summarize long and hostile text") {
  const std::string long_body(5000, 'x');
  const auto line = summary_of(
      envelope("text.incoming.sms", R"({"from":"+15551234567","to":"+15559876543","body":")" + long_body + "\"}"));
  check_one_line(line);
  CHECK(line.starts_with("+15551234567 \xE2\x86\x92 +15559876543 \"xxxx"));
  CHECK(line.find("\xE2\x80\xA6") != std::string::npos);  // ellipsis

  const auto nasty = summary_of(
      envelope("text.incoming.sms",
               R"({"from":"+1\n555","to":"\u001b[31m","body":"line1\nline2\r\u0007\u007f\u0085\u202e\u2028end"})"));
  check_one_line(nasty);
  // Line breaks become spaces; C0 and C1 controls, DEL and the bidi override are escaped (text::terminal_safe).
  CHECK(nasty == "+1 555 \xE2\x86\x92 \\x1b[31m \"line1 line2 \\x07\\x7f\\u0085\\u202e end\"");

  const auto failed =
      summary_of(envelope("text.delivery.failed",
                          R"({"to":"+15551234567","message_id":"text_1","error":")" + std::string(400, 'e') + "\"}"));
  check_one_line(failed);
  CHECK(failed.starts_with("delivery failed to +15551234567: eeee"));
  CHECK(failed.ends_with("\xE2\x80\xA6 (text_1)"));

  const std::string long_subject(300, 's');
  check_one_line(
      summary_of(envelope("email.incoming", R"({"from":{"name":")" + std::string(200, 'n') +
                                                R"(","address":"a@b"},"subject":")" + long_subject + "\"}")));
  check_one_line(summary_of(envelope(std::string(500, 't'), "{}")));
}

TEST_CASE("events::summarize survives garbage data") {
  const std::vector<std::string> shapes = {"{}",
                                           R"({"from":1,"to":[],"body":{}})",
                                           R"({"attachments":"x","from":null})",
                                           R"({"from":"x","attachments":[1,2,3]})",
                                           R"({"from":{"name":5},"subject":7,"attachments":{}})",
                                           R"({"last_error":5,"verification_report":[]})",
                                           R"({"last_error":{"code":null},"error":{"code":"e"}})",
                                           R"({"id":{"x":1},"error":"boom"})"};
  for (const auto& type : type_names()) {
    if (type.starts_with("v1.")) continue;
    for (const auto& shape : shapes) {
      CAPTURE(type);
      CAPTURE(shape);
      check_one_line(summary_of(envelope(type, shape)));
    }
    check_one_line(summary_of(R"({"id":"evt_abcdefghij","type":")" + std::string(type) +
                              R"(","timestamp":1707321600})"));  // no data
  }
  for (const auto& crumbs :
       {R"({"type":"sms","timestamp":1})", R"({"type":"sms","timestamp":1,"from":[],"message":{}})"}) {
    check_one_line(summary_of(R"({"message":"m","crumbs":)" + std::string(crumbs) + "}"));
  }
  CHECK(summary_of(envelope("text.incoming.sms", "{}")) == "? \xE2\x86\x92 ?");
  CHECK(summary_of(envelope("email.incoming", R"({"from":"raw@example.com"})")) ==
        "email from raw@example.com: (no subject)");
  CHECK(summary_of(envelope("identity.verification_session.verified", "{}")) == "identity session verified");
}

TEST_SUITE_END();
