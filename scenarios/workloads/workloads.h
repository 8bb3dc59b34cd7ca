#pragma once
// The workload types (each in its own file), collected by registry.cpp.
#include "scenarios/workload.h"

namespace tern::scenarios {

// Keyed producers and consumers of one topic (workloads/keyed.cpp).
WorkloadType keyed_workload_type();

}  // namespace tern::scenarios
