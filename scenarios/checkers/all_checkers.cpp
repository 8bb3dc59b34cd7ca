#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

const std::vector<Checker>& all_checkers() {
  static const std::vector<Checker> checkers = {
      {"lost_writes", "every acknowledged acks=all write is in the final log at its offset",
       check_lost_writes},
      {"offset_consistency", "each offset holds one record everywhere; offsets contiguous",
       check_offset_consistency},
      {"partition_order", "a producer's acknowledged offsets increase in send order",
       check_partition_order},
      {"no_duplicates", "idempotent producers store each record once", check_no_duplicates},
      {"consumer_monotonic", "consumers neither skip records nor go backwards without a seek",
       check_consumer_monotonic},
      {"liveness", "after the heal, writes succeed and consumers catch up in time",
       check_liveness},
  };
  return checkers;
}

}  // namespace tern::scenarios
