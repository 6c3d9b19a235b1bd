// ctg::output — the journal as `ctg events` shows it: a table or JSON of deliveries, one delivery
// in full with its forward attempts, replay results.
#pragma once

#include <vector>

#include "ctg/listen/replay.hpp"
#include "ctg/output/console.hpp"
#include "ctg/store/journal.hpp"

namespace ctg::output {

class JournalView {
 public:
  JournalView(Console& console, const store::Journal& journal) : m_console(console), m_journal(journal) {}

  void list_table(const std::vector<store::Delivery>& deliveries);
  void list_json(const std::vector<store::Delivery>& deliveries);
  void show_text(const store::Delivery& delivery);
  void show_json(const store::Delivery& delivery);
  void replay_line(const store::Delivery& delivery, const listen::ReplayResult& result, bool json);

 private:
  Console& m_console;
  const store::Journal& m_journal;
};

}  // namespace ctg::output
