// Every workload tern knows, by name: one explicit list (no self-registering statics).
#include "scenarios/workloads/workloads.h"

namespace tern::scenarios {

const std::vector<WorkloadType>& all_workloads() {
  static const std::vector<WorkloadType> types = {
      keyed_workload_type(),
      admin_churn_workload_type(),
      restarting_client_workload_type(),
  };
  return types;
}

const WorkloadType* find_workload(std::string_view name) {
  for (const auto& t : all_workloads())
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace tern::scenarios
