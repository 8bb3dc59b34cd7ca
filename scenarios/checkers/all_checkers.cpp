#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

int64_t CheckContext::log_start_of(const std::string& topic, int32_t partition) const {
  if (!log_start) return 0;
  auto it = log_start->find(TopicPartition{topic, partition});
  return it == log_start->end() ? 0 : it->second;
}

bool CheckContext::deleted_by_retention(const std::string& topic, int32_t partition,
                                        int64_t offset) const {
  return retention_topics.count(topic) && offset < log_start_of(topic, partition);
}

const std::vector<Checker>& all_checkers() {
  static const std::vector<Checker> checkers = {
      {"lost_writes",
       "every acknowledged acks=all write is in the final log at its offset (below the log "
       "start only where retention may delete)",
       check_lost_writes},
      {"offset_consistency", "each offset holds one record everywhere; offsets contiguous",
       check_offset_consistency},
      {"partition_order", "a producer's acknowledged offsets increase in send order",
       check_partition_order},
      {"no_duplicates", "idempotent producers store each record once", check_no_duplicates},
      {"consumer_monotonic", "consumers neither skip records nor go backwards without a seek",
       check_consumer_monotonic},
      {"liveness",
       "after the heal, sends succeed and every consumer reads every partition up to every "
       "surviving acknowledged write in time",
       check_liveness},
  };
  return checkers;
}

}  // namespace tern::scenarios
