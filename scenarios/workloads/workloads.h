#pragma once
// The workload types (each in its own file), collected by registry.cpp.
#include "scenarios/workload.h"

namespace tern::scenarios {

// Keyed producers and consumers of one topic (workloads/keyed.cpp).
WorkloadType keyed_workload_type();
// An admin client churning topics; check() compares the final topics with its ops
// (workloads/admin_churn.cpp).
WorkloadType admin_churn_workload_type();
// Producers and consumers that crash and restart, their state on their node's disk
// (workloads/restarting_client.cpp).
WorkloadType restarting_client_workload_type();

}  // namespace tern::scenarios
